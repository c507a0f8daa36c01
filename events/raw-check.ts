/**
 * A hand-written check of raw traffic that agrees with `rawTrafficSchema` on every event it accepts, and
 * gives up (undefined) on anything else, which then goes to zod for the verdict and the error messages.
 *
 * Why: collect and enrich check every event, and zod's discriminated union of strict objects with refines
 * is about a tenth of collect's CPU per request (profile in BENCHMARKS.md, "Collect past kafkajs's encoder").
 * The zod schema stays the contract: `raw-check.test.ts` compares the two on valid events and on thousands
 * of mutated ones, so this check can only be narrower, never looser. It uses the schema's patterns and
 * zod's own, and gives up on the rare shapes (IPv6, a present-but-undefined key) instead of copying them.
 */
import { core, regexes } from 'zod';
import { LIMITS } from './limits';
import {
  CLIENT_SESSION_ID,
  CONTROL_CHARS,
  CURRENCY_CODE,
  DECIMAL_AMOUNT,
  HOSTNAME,
  isHttpUrl,
  LANGUAGE_TAG,
  type RawTraffic,
} from './schemas';

export const DATETIME = regexes.datetime({ offset: true });

type Json = Record<string, unknown>;

const isText = (v: unknown, max: number, min = 0): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max && !CONTROL_CHARS.test(v);

const isUrl = (v: unknown): v is string => isText(v, LIMITS.maxUrlLength) && isHttpUrl(v);

export const isIntIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

export const isPlainObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Keys of each kind, in the schema's order (zod builds its output in that order; so does this). */
const COMMON = [
  'site',
  'url',
  'referrer',
  'timestamp',
  'userAgent',
  'ip',
  'screenWidth',
  'language',
  'sessionId',
  'engagementMs',
  'hashMode',
];
const KEYS: Record<RawTraffic['kind'], readonly string[]> = {
  pageview: ['kind', ...COMMON],
  event: ['kind', 'name', 'props', 'revenue', 'interactive', ...COMMON],
  engagement: ['kind', 'scrollDepth', ...COMMON],
};

/** Custom props as the schema's `props` takes them (a copy), or undefined: not valid or not sure. */
export function checkProps(v: unknown): Json | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Json = {};
  let n = 0;
  for (const key in v) {
    // for…in also walks inherited keys; a plain object has none, and an own __proto__ goes to zod.
    if (key === '__proto__' || !Object.hasOwn(v, key) || !isText(key, LIMITS.maxPropKeyLength, 1)) return undefined;
    const value = v[key];
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return undefined;
    } else if (typeof value !== 'boolean' && !isText(value, LIMITS.maxPropValueLength)) return undefined;
    out[key] = value;
    if (++n > LIMITS.maxPropKeys) return undefined;
  }
  return Object.getOwnPropertySymbols(v).length === 0 ? out : undefined;
}

/** A revenue as `revenueSchema` takes it (a copy), or undefined. */
export function checkRevenue(v: unknown): { amount: string; currency: string } | undefined {
  return isPlainObject(v) &&
    Object.keys(v).length === 2 &&
    typeof v.amount === 'string' &&
    DECIMAL_AMOUNT.test(v.amount) &&
    typeof v.currency === 'string' &&
    CURRENCY_CODE.test(v.currency)
    ? { amount: v.amount, currency: v.currency }
    : undefined;
}

/**
 * zod's IPv6 check, both parts, by zod's own code: its pattern, then `isValidIPv6` (the address parsed as a
 * URL host). 13 % of the simulator's visitors come over IPv6; each went through the whole zod schema before.
 */
const isIpv6 = (v: string): boolean => regexes.ipv6.test(v) && core.isValidIPv6(v);

function checkField(key: string, v: unknown): unknown {
  switch (key) {
    case 'site':
      return typeof v === 'string' && v.length <= 253 && HOSTNAME.test(v) ? v : undefined;
    case 'url':
      return isUrl(v) ? v : undefined;
    case 'referrer':
      return v === '' || isUrl(v) ? v : undefined;
    case 'timestamp':
      return typeof v === 'string' && DATETIME.test(v) ? v : undefined;
    case 'userAgent':
      return isText(v, LIMITS.maxUserAgentLength, 1) ? v : undefined;
    case 'ip':
      return typeof v === 'string' && (regexes.ipv4.test(v) || isIpv6(v)) ? v : undefined;
    case 'screenWidth':
      return isIntIn(v, 0, 100_000) ? v : undefined;
    case 'language':
      return typeof v === 'string' && v.length <= 35 && LANGUAGE_TAG.test(v) ? v : undefined;
    case 'sessionId':
      return typeof v === 'string' && v.length >= 1 && v.length <= 128 && CLIENT_SESSION_ID.test(v) ? v : undefined;
    case 'engagementMs':
      return isIntIn(v, 0, 24 * 60 * 60 * 1000) ? v : undefined;
    case 'hashMode':
    case 'interactive':
      return typeof v === 'boolean' ? v : undefined;
    case 'name':
      return isText(v, LIMITS.maxNameLength, 1) ? v : undefined;
    case 'props':
      return checkProps(v);
    case 'revenue':
      return checkRevenue(v);
    case 'scrollDepth':
      return isIntIn(v, 0, 100) ? v : undefined;
    default:
      return undefined;
  }
}

const REQUIRED = ['site', 'url', 'timestamp', 'userAgent', 'ip'];

/**
 * The raw traffic `candidate` is, built as zod would build it, when this check can tell it is valid;
 * undefined when it is not valid or this check cannot tell (ask `rawTrafficSchema`).
 */
export function checkRawTraffic(candidate: unknown): RawTraffic | undefined {
  if (!isPlainObject(candidate)) return undefined;
  const kind = candidate.kind;
  if (kind !== 'pageview' && kind !== 'event' && kind !== 'engagement') return undefined;
  const keys = KEYS[kind];
  for (const key in candidate) {
    if (!keys.includes(key) || candidate[key] === undefined) return undefined; // strict; undefined: zod decides
  }
  if (kind === 'event' && candidate.name === undefined) return undefined;
  for (const key of REQUIRED) if (candidate[key] === undefined) return undefined;
  const out: Json = { kind };
  // Every key present is one of `keys` (above), so this visits each of them, in the schema's order.
  for (const key of keys) {
    if (key === 'kind' || !Object.hasOwn(candidate, key)) continue;
    const value = checkField(key, candidate[key]);
    if (value === undefined) return undefined;
    out[key] = value;
  }
  return out as RawTraffic;
}
