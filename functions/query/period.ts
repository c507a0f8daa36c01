/**
 * Periods → site-local bucket ranges (pure). Buckets are site-local wall-clock epoch ms
 * (functions/lib/time.ts), so a range is two integers and "a day" is always DAY_MS, also across DST
 * changes and in half-hour zones such as Asia/Kolkata.
 *
 * - `today`: the site's current day; previous = yesterday (the whole day).
 * - `24h`: the current hour and the 23 before it, on hourly buckets; previous = the 24 hours before.
 * - `Nd`: N whole days ending today (inclusive); previous = the N days before.
 * - `12mo`: from the first day of the month 11 months ago through today; previous = as many days before.
 * - `from`/`to`: inclusive site-local dates, at most MAX_RANGE_DAYS days; previous = as many days before.
 */
import { DAY_MS, HOUR_MS, bucketOf, fromLocalMs, toLocalMs, type Grain } from '../lib/time';

import { PERIODS, type PeriodName } from '../../events/vocabulary';

export { PERIODS, type PeriodName };

/** Longest from/to range: a leap year. */
export const MAX_RANGE_DAYS = 366;

export type PeriodInput = { period: PeriodName } | { from: string; to: string };

/** Half-open range [from, to) of site-local wall-clock ms, read at `grain`. */
export interface LocalRange {
  from: number;
  to: number;
  grain: Grain;
}

export interface ResolvedPeriod {
  current: LocalRange;
  previous: LocalRange;
  /** The range ended before the site's current day began: its figures only change with late data. */
  closed: boolean;
  /** Whether the range is the hour-based `24h` (no daily figures apply). */
  hourly: boolean;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` → local midnight ms, or undefined when it is not a real calendar date in 2000–2099. */
export function parseLocalDate(s: string): number | undefined {
  const m = DATE_RE.exec(s);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 2000 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const ms = Date.UTC(y, mo - 1, d);
  // Date.UTC rolls 2026-02-30 over to March: reject instead of guessing.
  if (new Date(ms).getUTCDate() !== d) return undefined;
  return ms;
}

/** Why a from/to pair is unusable, or undefined when it is fine. Parameter names are in the message. */
export function checkDateRange(from: string, to: string): { param: 'from' | 'to'; message: string } | undefined {
  const f = parseLocalDate(from);
  if (f === undefined) return { param: 'from', message: 'must be a calendar date YYYY-MM-DD between 2000 and 2099' };
  const t = parseLocalDate(to);
  if (t === undefined) return { param: 'to', message: 'must be a calendar date YYYY-MM-DD between 2000 and 2099' };
  if (f > t) return { param: 'from', message: 'must not be after to' };
  if ((t - f) / DAY_MS + 1 > MAX_RANGE_DAYS) return { param: 'to', message: `the range may span at most ${MAX_RANGE_DAYS} days` };
  return undefined;
}

function daysBefore(r: LocalRange): LocalRange {
  const len = r.to - r.from;
  return { from: r.from - len, to: r.from, grain: r.grain };
}

/** Resolves a validated period at the instant `nowUtc` for a site in `timeZone`. */
export function resolvePeriod(input: PeriodInput, nowUtc: number, timeZone: string): ResolvedPeriod {
  const nowLocal = toLocalMs(nowUtc, timeZone);
  const today = bucketOf(nowLocal, 'd');
  const tomorrow = today + DAY_MS;
  if ('from' in input) {
    const problem = checkDateRange(input.from, input.to);
    if (problem !== undefined) throw new RangeError(`${problem.param}: ${problem.message}`);
    const current: LocalRange = { from: parseLocalDate(input.from)!, to: parseLocalDate(input.to)! + DAY_MS, grain: 'd' };
    return { current, previous: daysBefore(current), closed: current.to <= today, hourly: false };
  }
  switch (input.period) {
    case 'today': {
      const current: LocalRange = { from: today, to: tomorrow, grain: 'd' };
      return { current, previous: daysBefore(current), closed: false, hourly: false };
    }
    case '24h': {
      const hour = bucketOf(nowLocal, 'h');
      const current: LocalRange = { from: hour - 23 * HOUR_MS, to: hour + HOUR_MS, grain: 'h' };
      return { current, previous: daysBefore(current), closed: false, hourly: true };
    }
    case '12mo': {
      const d = new Date(today);
      const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1);
      const current: LocalRange = { from, to: tomorrow, grain: 'd' };
      return { current, previous: daysBefore(current), closed: false, hourly: false };
    }
    default: {
      const days = Number(input.period.slice(0, -1));
      const current: LocalRange = { from: tomorrow - days * DAY_MS, to: tomorrow, grain: 'd' };
      return { current, previous: daysBefore(current), closed: false, hourly: false };
    }
  }
}

/** Site-local ms → ISO date-time without offset (`2026-11-28T13:00:00`), as the API prints buckets. */
export function formatLocal(localMs: number): string {
  return new Date(localMs).toISOString().slice(0, 19);
}

/** Every bucket start in [from, to) at `stepMs`, oldest first. */
export function bucketStarts(from: number, to: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t += stepMs) out.push(t);
  return out;
}

/** A local range as the facts are keyed: the site-local days it touches (inclusive) and its UTC instants. */
export interface FactRange {
  fromDay: number;
  lastDay: number;
  fromTs: number;
  toTs: number;
}

/** The facts' bounds of a local range in `timeZone` (its local hours are contiguous, so two instants bound it). */
export function factRange(range: LocalRange, timeZone: string): FactRange {
  return {
    fromDay: bucketOf(range.from, 'd'),
    lastDay: bucketOf(range.to - 1, 'd'),
    fromTs: fromLocalMs(range.from, timeZone),
    toTs: fromLocalMs(range.to, timeZone),
  };
}
