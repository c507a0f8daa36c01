/**
 * Site time zones. Buckets are site-local wall-clock epoch milliseconds: the local date-time
 * read as if it were UTC. Days and hours then follow the site's zone (also half-hour offsets)
 * and bucket arithmetic is integer math on every SQL dialect.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export type Grain = 'm' | 'h' | 'd';
export const GRAIN_MS: Record<Grain, number> = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

// Offsets only change on whole quarter hours, so a cache per (zone, quarter hour) is exact. One map per
// zone keyed by the quarter's number: no key string is built per call (the aggregate asks per event).
const offsetCache = new Map<string, Map<number, number>>();
let cachedOffsets = 0;

/** The zone's offset from UTC (ms) at the instant utcMs. */
export function zoneOffsetMs(timeZone: string, utcMs: number): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const quarter = Math.floor(utcMs / 900_000);
  let zone = offsetCache.get(timeZone);
  if (zone === undefined) offsetCache.set(timeZone, (zone = new Map()));
  const hit = zone.get(quarter);
  if (hit !== undefined) return hit;
  const at = quarter * 900_000;
  const parts = formatter(timeZone).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = asUtc - at;
  if (++cachedOffsets > 100_000) {
    offsetCache.clear();
    cachedOffsets = 1;
    offsetCache.set(timeZone, (zone = new Map()));
  }
  zone.set(quarter, offset);
  return offset;
}

/** UTC instant -> site-local wall-clock epoch ms. */
export function toLocalMs(utcMs: number, timeZone: string): number {
  return utcMs + zoneOffsetMs(timeZone, utcMs);
}

/**
 * Site-local wall-clock ms -> UTC instant. In a DST gap the time is moved forward; in an overlap the
 * earlier instant is chosen.
 */
export function fromLocalMs(localMs: number, timeZone: string): number {
  let guess = localMs - zoneOffsetMs(timeZone, localMs);
  for (let i = 0; i < 3; i++) {
    const next = localMs - zoneOffsetMs(timeZone, guess);
    if (next === guess) break;
    guess = next;
  }
  const earlier = localMs - zoneOffsetMs(timeZone, guess - HOUR_MS);
  if (earlier < guess && toLocalMs(earlier, timeZone) === localMs) return earlier;
  return guess;
}

export function bucketOf(localMs: number, grain: Grain): number {
  const size = GRAIN_MS[grain];
  return Math.floor(localMs / size) * size;
}

/** The calendar date (YYYY-MM-DD) of a day bucket (a site-local midnight as wall-clock epoch ms). */
export const dateOfDay = (dayMs: number): string => new Date(dayMs).toISOString().slice(0, 10);

/**
 * The site-local day bucket of a UTC instant: enrich's salt day and aggregate's `day` of an event, one
 * function so they agree (the writer looks a visitor id up on its salt's day, migration 0007).
 */
export const localDayOf = (utcMs: number, timeZone: string): number => bucketOf(toLocalMs(utcMs, timeZone), 'd');

/** The site-local calendar date (YYYY-MM-DD) of a UTC instant. */
export function localDate(utcMs: number, timeZone: string): string {
  return dateOfDay(localDayOf(utcMs, timeZone));
}
