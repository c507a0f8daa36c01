/**
 * A hand-written check of enriched traffic that agrees with `enrichedTrafficSchema` on every event it
 * accepts and gives up (undefined) on anything else, which then goes to zod — as raw-check.ts does for raw
 * traffic. Aggregate decodes every enriched record; zod's strict object of 29 fields was about 6 % of the
 * aggregate stage's CPU (profile in BENCHMARKS.md, "Aggregate with bound parameters"). The schema stays the
 * contract: `enriched-check.test.ts` compares the two on valid events and on thousands of mutated ones.
 */
import { LIMITS } from './limits';
import { checkProps, DATETIME, isIntIn, isPlainObject } from './raw-check';
import { CHANNELS, CURRENCY_CODE, DECIMAL_AMOUNT, DEVICES, HOSTNAME, TRAFFIC_KINDS, type EnrichedTraffic } from './schemas';

type Json = Record<string, unknown>;

const VISITOR_ID = /^[0-9a-f]{16}$/;
const COUNTRY = /^[A-Z]{2}$/;

const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const oneOf = (values: readonly string[]) => (v: unknown) => typeof v === 'string' && values.includes(v);
const isRevenue = (v: unknown) =>
  isPlainObject(v) &&
  Object.keys(v).length === 2 &&
  typeof v.amount === 'string' &&
  DECIMAL_AMOUNT.test(v.amount) &&
  typeof v.currency === 'string' &&
  CURRENCY_CODE.test(v.currency);

/** Each field's test, in the schema's order (zod builds its output in that order; so does this). */
const FIELDS: readonly (readonly [keyof EnrichedTraffic, (v: unknown) => boolean])[] = [
  ['site', (v) => isString(v, 253) && HOSTNAME.test(v)],
  ['kind', oneOf(TRAFFIC_KINDS)],
  ['name', (v) => isString(v, LIMITS.maxNameLength)],
  ['props', () => true], // checked (and copied) below
  ['revenue', (v) => v === null || isRevenue(v)],
  ['interactive', (v) => typeof v === 'boolean'],
  ['timestamp', (v) => typeof v === 'string' && DATETIME.test(v)],
  ['visitorId', (v) => typeof v === 'string' && VISITOR_ID.test(v)],
  ['prevVisitorId', (v) => typeof v === 'string' && VISITOR_ID.test(v)],
  ['hostname', (v) => isString(v, 253)],
  ['path', (v) => isString(v, LIMITS.maxUrlLength)],
  ['referrer', (v) => isString(v, LIMITS.maxUrlLength)],
  ['source', (v) => isString(v, 128)],
  ['channel', oneOf(CHANNELS)],
  ['utmSource', (v) => isString(v, 256)],
  ['utmMedium', (v) => isString(v, 256)],
  ['utmCampaign', (v) => isString(v, 256)],
  ['utmContent', (v) => isString(v, 256)],
  ['utmTerm', (v) => isString(v, 256)],
  ['country', (v) => typeof v === 'string' && COUNTRY.test(v)],
  ['browser', (v) => isString(v, 64)],
  ['os', (v) => isString(v, 64)],
  ['device', oneOf(DEVICES)],
  ['bot', (v) => typeof v === 'boolean'],
  ['screenWidth', (v) => v === null || isIntIn(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)],
  ['language', (v) => isString(v, 35)],
  ['engagementMs', (v) => isIntIn(v, 0, Number.MAX_SAFE_INTEGER)],
  ['scrollDepth', (v) => v === null || isIntIn(v, 0, 100)],
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
  for (const [key, ok] of FIELDS) {
    const v = candidate[key];
    if (!Object.hasOwn(candidate, key) || !ok(v)) return undefined;
    if (key === 'props') {
      const props = checkProps(v);
      if (props === undefined) return undefined;
      out.props = props;
    } else if (key === 'revenue' && v !== null) {
      const r = v as Json;
      out.revenue = { amount: r.amount, currency: r.currency };
    } else out[key] = v;
  }
  return out as EnrichedTraffic;
}
