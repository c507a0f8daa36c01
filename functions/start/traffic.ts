/**
 * Simulated traffic for `npm start`: a backfill of history on first start, as fast as the pipeline
 * takes it, and live traffic whose events are released when their simulated time arrives.
 * Both use the seeded simulator of the generate function; only the pacing is added here.
 */
import type { CloudEvent, RawTraffic } from '../../events';
import type { GeoIp } from '../lib/geoip';
import { createSimulator } from '../generate/simulator';
import type { SiteSpec } from '../generate/sites';

export interface TrafficDeps {
  sites: readonly SiteSpec[];
  seed: number;
  geoip: GeoIp;
  /** Hands a batch to the pipeline; resolves once it is accepted (and, for backpressure, not too far ahead). */
  publish(events: CloudEvent<RawTraffic>[]): Promise<void>;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const BATCH = 500;

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Simulates [from, to) at `sessionsPerDay` and publishes it in batches; reports progress 0..1. */
export async function backfill(
  deps: TrafficDeps,
  opts: { from: number; to: number; sessionsPerDay: number; signal: AbortSignal; onProgress?: (done: number, events: number) => void },
): Promise<number> {
  const sim = createSimulator({
    seed: deps.seed,
    sites: deps.sites,
    from: new Date(opts.from),
    to: new Date(opts.to),
    sessionsPerDay: opts.sessionsPerDay,
    geoip: deps.geoip,
  });
  let batch: CloudEvent<RawTraffic>[] = [];
  let events = 0;
  for (const item of sim) {
    if (opts.signal.aborted) break;
    if (item.type !== 'event') continue;
    batch.push(item.event);
    if (batch.length >= BATCH) {
      await deps.publish(batch);
      events += batch.length;
      batch = [];
      const t = Date.parse(item.event.data.timestamp);
      opts.onProgress?.((t - opts.from) / (opts.to - opts.from), events);
    }
  }
  if (batch.length > 0 && !opts.signal.aborted) {
    await deps.publish(batch);
    events += batch.length;
  }
  opts.onProgress?.(1, events);
  return events;
}

/**
 * Live traffic at about `rate` events per second: the simulator runs in chunks of `chunkMs` of
 * simulated time starting now, and each event is published when the clock reaches its timestamp.
 * Returns when `signal` aborts.
 */
export async function runLiveTraffic(
  deps: TrafficDeps,
  opts: { rate: number; signal: AbortSignal; chunkMs?: number; onPublished?: (n: number) => void },
): Promise<void> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const chunkMs = opts.chunkMs ?? 10 * 60_000;
  let from = now();
  let chunk = 0;
  while (!opts.signal.aborted) {
    const to = from + chunkMs;
    const sim = createSimulator({
      seed: deps.seed + ++chunk,
      sites: deps.sites,
      from: new Date(from),
      to: new Date(to),
      count: Math.max(1, Math.round((opts.rate * chunkMs) / 1000)),
      geoip: deps.geoip,
    });
    let pending: CloudEvent<RawTraffic>[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const out = pending;
      pending = [];
      await deps.publish(out);
      opts.onPublished?.(out.length);
    };
    for (const item of sim) {
      if (opts.signal.aborted) break;
      if (item.type !== 'event') continue;
      const due = Date.parse(item.event.data.timestamp);
      if (due > now()) {
        await flush();
        // Release in small steps, so events that share a moment go out together.
        while (due > now() && !opts.signal.aborted) await sleep(Math.min(250, due - now()), opts.signal);
      }
      pending.push(item.event);
      if (pending.length >= BATCH) await flush();
    }
    if (!opts.signal.aborted) await flush();
    from = to;
  }
}
