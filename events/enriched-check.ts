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

const VISITOR_ID = /^[0-9a-f]{16}$/;
const COUNTRY = /^[A-Z]{2}$/;

const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const oneOf = (values: readonly string[]) => (v: unknown) => typeof v === 'string' && values.includes(v);

type Scalar = Exclude<keyof EnrichedTraffic, 'props' | 'revenue'>;

/** Whether a field's value is one the schema takes as it is (props and revenue are copied instead, below). */
const VALID: Readonly<Record<Scalar, (v: unknown) => boolean>> = {
  site: (v) => isString(v, 253) && HOSTNAME.test(v),
  kind: oneOf(TRAFFIC_KINDS),
  name: (v) => isString(v, LIMITS.maxNameLength),
  interactive: (v) => typeof v === 'boolean',
  timestamp: (v) => typeof v === 'string' && DATETIME.test(v),
  visitorId: (v) => typeof v === 'string' && VISITOR_ID.test(v),
  prevVisitorId: (v) => typeof v === 'string' && VISITOR_ID.test(v),
  hostname: (v) => isString(v, 253),
  path: (v) => isString(v, LIMITS.maxUrlLength),
  referrer: (v) => isString(v, LIMITS.maxUrlLength),
  source: (v) => isString(v, 128),
  channel: oneOf(CHANNELS),
  utmSource: (v) => isString(v, 256),
  utmMedium: (v) => isString(v, 256),
  utmCampaign: (v) => isString(v, 256),
  utmContent: (v) => isString(v, 256),
  utmTerm: (v) => isString(v, 256),
  country: (v) => typeof v === 'string' && COUNTRY.test(v),
  browser: (v) => isString(v, 64),
  os: (v) => isString(v, 64),
  device: oneOf(DEVICES),
  bot: (v) => typeof v === 'boolean',
  screenWidth: (v) => v === null || isIntIn(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  language: (v) => isString(v, 35),
  engagementMs: (v) => isIntIn(v, 0, Number.MAX_SAFE_INTEGER),
  scrollDepth: (v) => v === null || isIntIn(v, 0, 100),
};
const SCALARS = Object.keys(VALID) as Scalar[];
const KNOWN = new Set<string>([...SCALARS, 'props', 'revenue']);

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
  if (n !== KNOWN.size || !Object.hasOwn(candidate, 'props') || !Object.hasOwn(candidate, 'revenue')) return undefined; // all required
  for (const key of SCALARS) if (!Object.hasOwn(candidate, key) || !VALID[key](candidate[key])) return undefined;
  const props = checkProps(candidate.props);
  const revenue = candidate.revenue === null ? null : checkRevenue(candidate.revenue);
  if (props === undefined || revenue === undefined) return undefined;
  const c = candidate as unknown as EnrichedTraffic;
  // One literal, in the schema's order (zod builds its output in that order): an object of one fixed shape.
  // Built key by key, 28 keys made a dictionary-mode object of ~3 KB per event, the aggregate's largest
  // allocation (BENCHMARKS.md "Lighter objects per event").
  return {
    site: c.site,
    kind: c.kind,
    name: c.name,
    props: props as EnrichedTraffic['props'], // checkProps took only strings, finite numbers and booleans
    revenue,
    interactive: c.interactive,
    timestamp: c.timestamp,
    visitorId: c.visitorId,
    prevVisitorId: c.prevVisitorId,
    hostname: c.hostname,
    path: c.path,
    referrer: c.referrer,
    source: c.source,
    channel: c.channel,
    utmSource: c.utmSource,
    utmMedium: c.utmMedium,
    utmCampaign: c.utmCampaign,
    utmContent: c.utmContent,
    utmTerm: c.utmTerm,
    country: c.country,
    browser: c.browser,
    os: c.os,
    device: c.device,
    bot: c.bot,
    screenWidth: c.screenWidth,
    language: c.language,
    engagementMs: c.engagementMs,
    scrollDepth: c.scrollDepth,
  };
}
