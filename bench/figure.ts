/**
 * The one output format of every benchmark: one JSON line per figure. `ratio` is value / baseline
 * for rates (higher is better) and baseline / value for costs, as each script says in its name.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A rate (events/s): ratio = value / baseline, so 0.5 means half the baseline's throughput. */
export function rate(name: string, value: number, baseline: number | null): Figure {
  return {
    name,
    value: round(value, 0),
    unit: 'events/s',
    baseline: baseline === null ? null : round(baseline, 0),
    ratio: ratioOf(value, baseline),
  };
}

/** Any figure with ratio = value / baseline. */
export function figure(name: string, value: number, unit: string, baseline: number | null, digits = 1): Figure {
  return {
    name,
    value: round(value, digits),
    unit,
    baseline: baseline === null ? null : round(baseline, digits),
    ratio: ratioOf(value, baseline),
  };
}

function ratioOf(value: number, baseline: number | null): number | null {
  return baseline === null || baseline === 0 ? null : round(value / baseline, 3);
}

export function emit(figures: readonly Figure[]): void {
  for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`);
}

/** Runs a bench's `run()` when the file is executed directly: figures to stdout, errors to stderr, exit 1. */
export function main(run: () => Promise<Figure[]>): void {
  run()
    .then((figures) => {
      emit(figures);
      // kafkajs and mysql2 may keep sockets half-open for a while; the figures are out, so leave now.
      process.exit(0);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `check` holds, polling every `everyMs`; throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The median of unsorted values (the upper one of the middle two for an even count). */
export const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
