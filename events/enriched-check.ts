/**
 * A hand-written check of enriched traffic that agrees with `enrichedTrafficSchema` on every event it
 * accepts and gives up (undefined) on anything else, which then goes to zod — as raw-check.ts does for raw
 * traffic. Aggregate decodes every enriched record; zod's strict object of 29 fields was about 6 % of the
 * aggregate stage's CPU (profile in BENCHMARKS.md, "Aggregate with bound parameters"). The schema stays the
 * contract: `enriched-check.test.ts` compares the two on valid events and on thousands of mutated ones.
 */
import { LIMITS } from './limits';
import { checkProps, checkRevenue, DATETIME, isIntIn, isPlainObject } from './raw-check';
import { CHANNELS, DEVICES, HOSTNAME, TRAFFIC_KINDS, type EnrichedTraffic } from './schemas';

type Json = Record<string, unknown>;

const VISITOR_ID = /^[0-9a-f]{16}$/;
const COUNTRY = /^[A-Z]{2}$/;

const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const oneOf = (values: readonly string[]) => (v: unknown) => typeof v === 'string' && values.includes(v);
/** A field's value as zod builds it, when `ok` holds; undefined otherwise (null is a value). */
const as =
  (ok: (v: unknown) => boolean) =>
  (v: unknown): unknown =>
    ok(v) ? v : undefined;

/** Each field's output (a copy for objects), or undefined: in the schema's order, which zod builds its output in. */
const FIELDS: readonly (readonly [keyof EnrichedTraffic, (v: unknown) => unknown])[] = [
  ['site', as((v) => isString(v, 253) && HOSTNAME.test(v))],
  ['kind', as(oneOf(TRAFFIC_KINDS))],
  ['name', as((v) => isString(v, LIMITS.maxNameLength))],
  ['props', checkProps],
  ['revenue', (v) => (v === null ? null : checkRevenue(v))],
  ['interactive', as((v) => typeof v === 'boolean')],
  ['timestamp', as((v) => typeof v === 'string' && DATETIME.test(v))],
  ['visitorId', as((v) => typeof v === 'string' && VISITOR_ID.test(v))],
  ['prevVisitorId', as((v) => typeof v === 'string' && VISITOR_ID.test(v))],
  ['hostname', as((v) => isString(v, 253))],
  ['path', as((v) => isString(v, LIMITS.maxUrlLength))],
  ['referrer', as((v) => isString(v, LIMITS.maxUrlLength))],
  ['source', as((v) => isString(v, 128))],
  ['channel', as(oneOf(CHANNELS))],
  ['utmSource', as((v) => isString(v, 256))],
  ['utmMedium', as((v) => isString(v, 256))],
  ['utmCampaign', as((v) => isString(v, 256))],
  ['utmContent', as((v) => isString(v, 256))],
  ['utmTerm', as((v) => isString(v, 256))],
  ['country', as((v) => typeof v === 'string' && COUNTRY.test(v))],
  ['browser', as((v) => isString(v, 64))],
  ['os', as((v) => isString(v, 64))],
  ['device', as(oneOf(DEVICES))],
  ['bot', as((v) => typeof v === 'boolean')],
  ['screenWidth', as((v) => v === null || isIntIn(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))],
  ['language', as((v) => isString(v, 35))],
  ['engagementMs', as((v) => isIntIn(v, 0, Number.MAX_SAFE_INTEGER))],
  ['scrollDepth', as((v) => v === null || isIntIn(v, 0, 100))],
];
const KNOWN = new Set<string>(FIELDS.map(([k]) => k));

/**
 * The enriched traffic `candidate` is, built as zod would build it, when this check can tell it is valid;
 * undefined when it is not valid or this check cannot tell (ask `enrichedTrafficSchema`).
 */
export function checkEnrichedTraffic(candidate: unknown): EnrichedTraffic | undefined {
  if (!isPlainObject(candidate)) return undefined;
  let n = 0;
  for (const key in candidate) {
    if (!KNOWN.has(key)) return undefined; // strict
    n++;
  }
  if (n !== FIELDS.length) return undefined; // every field is required
  const out: Json = {};
  for (const [key, check] of FIELDS) {
    if (!Object.hasOwn(candidate, key)) return undefined;
    const value = check(candidate[key]);
    if (value === undefined) return undefined;
    out[key] = value;
  }
  return out as EnrichedTraffic;
}
