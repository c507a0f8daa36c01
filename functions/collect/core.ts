/**
 * The pure core of collect: a Plausible Events API body (short or long field names) plus what the
 * connection says about the client (IP, user agent, language) becomes raw CloudEvents, one per
 * domain named in `d`. No I/O: the HTTP adapter (http.ts) reads the request and publishes.
 *
 *   body field  short / long     raw event field
 *   name        n / name         kind (pageview | engagement | event) and name
 *   url         u / url          url (absolute http(s))
 *   domain      d / domain       site (one raw event per comma-separated domain)
 *   referrer    r / referrer     referrer (omitted when it is not an http(s) URL)
 *   props       p / props        props (object, or a JSON string of one; null and '' values dropped)
 *   revenue     $ / revenue      revenue (custom events only; amount as number or decimal string)
 *   interactive i / interactive  interactive (custom events only)
 *   hash mode   h / hashMode     hashMode (1 or true)
 *   scroll      sd               scrollDepth (engagement only, clamped to 0..100)
 *   engaged ms  e                engagementMs (engagement only, clamped to 0..24 h)
 *   width       w                screenWidth (older Plausible scripts)
 *   version     v                ignored
 * Unknown fields are ignored, as Plausible does. The event time is the server's clock: a client's
 * clock is not trusted.
 */
import {
  checkRawTraffic,
  LANGUAGE_TAG,
  createRawEvent,
  rawTrafficSchema,
  SOURCES,
  type CloudEvent,
  type Problem,
  type RawTraffic,
  type Revenue,
} from '../../events';
import { CollectError } from './errors';

/** Most domains one request may name (Plausible's `data-domain="a.com,b.com"` sends to each). */
export const MAX_DOMAINS = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What the connection tells about the sender; the user agent is checked here, not trusted to exist. */
export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
  /** The first tag of Accept-Language, when any. */
  language?: string;
}

/** Why collect itself drops a well-formed event (answered 202 with `x-plausible-dropped: 1`, counted). */
export const DROP_REASONS = ['no_user_agent', 'invalid_user_agent'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type CollectDecision = { kind: 'accept'; events: CloudEvent<RawTraffic>[] } | { kind: 'drop'; reason: DropReason; events: number };

export interface CollectCoreDeps {
  now: () => Date;
  newId: () => string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The short name wins when both are sent (Plausible reads `n` before `name`). */
function field(body: JsonObject, short: string, long: string | undefined): Json | undefined {
  if (Object.hasOwn(body, short)) return body[short];
  return long !== undefined && Object.hasOwn(body, long) ? body[long] : undefined;
}

const bad = (path: string, message: string): CollectError => new CollectError('not_an_event', `${path}: ${message}`, [{ path, message }]);

function requiredString(body: JsonObject, short: string, long: string): string {
  const v = field(body, short, long);
  if (typeof v !== 'string' || v.trim() === '') throw bad(long, `is required and must be a non-empty string ("${short}" or "${long}")`);
  return v;
}

function parseDomains(raw: string): string[] {
  const domains = [...new Set(raw.split(',').map((d) => d.trim().toLowerCase()))].filter((d) => d !== '');
  if (domains.length === 0) throw bad('domain', 'names no site');
  if (domains.length > MAX_DOMAINS) throw bad('domain', `names ${domains.length} sites, at most ${MAX_DOMAINS}`);
  return domains;
}

function parseProps(v: Json | undefined): Record<string, string | number | boolean> | undefined {
  if (v === undefined || v === null) return undefined;
  let obj: Json = v;
  if (typeof v === 'string') {
    // Older integrations send props as a JSON-encoded string.
    try {
      obj = JSON.parse(v) as Json;
    } catch {
      throw bad('props', 'must be an object, or a JSON string of one');
    }
  }
  if (!isObject(obj)) throw bad('props', 'must be an object of strings, numbers or booleans');
  const out: Record<string, string | number | boolean> = {};
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    // Plausible ignores empty values; the schema refuses a __proto__ key later.
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'object') throw bad(`props.${key.slice(0, 40)}`, 'must be a string, number or boolean, not an object or array');
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return Object.keys(out).length === 0 && !Object.hasOwn(out, '__proto__') ? undefined : out;
}

function parseRevenue(v: Json | undefined): Revenue | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad('revenue', 'must be an object {amount, currency}');
  const amount = v.amount;
  const currency = v.currency;
  if (typeof amount !== 'number' && typeof amount !== 'string') throw bad('revenue.amount', 'must be a number or a decimal string');
  if (typeof currency !== 'string') throw bad('revenue.currency', 'must be an ISO 4217 code such as EUR');
  return { amount: String(amount), currency: currency.toUpperCase() };
}

function clampedInt(v: Json | undefined, path: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(path, 'must be a number');
  return Math.min(max, Math.max(min, Math.round(v)));
}

function isTrue(v: Json | undefined): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

function toProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Problem[] {
  return issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.') || 'body', message: i.message }));
}

/** The raw data for one site, validated by the contract's schema; best-effort fields are dropped, not fatal. */
function validate(candidate: Record<string, unknown>): RawTraffic {
  const checked = checkRawTraffic(candidate); // the common valid event, without zod's cost
  if (checked !== undefined) return checked;
  let result = rawTrafficSchema.safeParse(candidate);
  if (!result.success) {
    // A referrer or language that is not usable (an app:// referrer, a strange Accept-Language) must not
    // lose the event: the pageview counts, without it.
    const optional = new Set(['referrer', 'language', 'screenWidth']);
    const culprits = new Set(result.error.issues.map((i) => String(i.path[0])));
    if ([...culprits].every((c) => optional.has(c))) {
      const retry = { ...candidate };
      for (const c of culprits) delete retry[c];
      result = rawTrafficSchema.safeParse(retry);
    }
  }
  if (!result.success) {
    const problems = toProblems(result.error.issues);
    throw new CollectError('not_an_event', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  }
  return result.data;
}

/** Checks the user agent header: a request without a usable one is dropped by collect itself. */
export function userAgentProblem(ua: string | undefined): DropReason | undefined {
  if (ua === undefined || ua.trim() === '') return 'no_user_agent';
  const check = rawTrafficSchema.options[0].shape.userAgent.safeParse(ua);
  return check.success ? undefined : 'invalid_user_agent';
}

/**
 * Decides one request. Throws CollectError('not_an_event') listing the problems when the body is not
 * an event; returns a drop when collect knows the event cannot count; else the raw events to publish.
 */
export function decideCollect(body: unknown, client: ClientInfo, deps: CollectCoreDeps): CollectDecision {
  if (!isObject(body)) throw bad('body', 'must be a JSON object (one event)');
  const name = requiredString(body, 'n', 'name');
  const url = requiredString(body, 'u', 'url');
  const domains = parseDomains(requiredString(body, 'd', 'domain'));
  const referrerRaw = field(body, 'r', 'referrer');
  if (referrerRaw !== undefined && referrerRaw !== null && typeof referrerRaw !== 'string')
    throw bad('referrer', 'must be a string or null');
  const hashMode = isTrue(field(body, 'h', 'hashMode'));
  const width = field(body, 'w', undefined);

  const kind: RawTraffic['kind'] = name === 'pageview' ? 'pageview' : name === 'engagement' ? 'engagement' : 'event';
  const extra: Record<string, unknown> = {};
  if (kind === 'event') {
    extra.name = name;
    const props = parseProps(field(body, 'p', 'props'));
    if (props !== undefined) extra.props = props;
    const revenue = parseRevenue(field(body, '$', 'revenue'));
    if (revenue !== undefined) extra.revenue = revenue;
    const interactive = field(body, 'i', 'interactive');
    if (interactive !== undefined && interactive !== null) {
      if (typeof interactive !== 'boolean') throw bad('interactive', 'must be true or false');
      extra.interactive = interactive;
    }
  } else if (kind === 'engagement') {
    const sd = clampedInt(field(body, 'sd', undefined), 'sd', 0, 100);
    if (sd !== undefined) extra.scrollDepth = sd;
    const e = clampedInt(field(body, 'e', undefined), 'e', 0, DAY_MS);
    if (e !== undefined) extra.engagementMs = e;
  }

  const timestamp = deps.now().toISOString();
  const ua = client.userAgent;
  // A missing user agent drops the event (below); a placeholder lets the body be checked first.
  let drop: DropReason | undefined = ua === undefined || ua.trim() === '' ? 'no_user_agent' : undefined;
  const common: Record<string, unknown> = {
    kind,
    url,
    timestamp,
    ip: client.ip,
    userAgent: drop === undefined ? ua : 'unknown',
    ...(typeof referrerRaw === 'string' && referrerRaw !== '' ? { referrer: referrerRaw } : {}),
    ...(hashMode ? { hashMode: true } : {}),
    ...(typeof width === 'number' && Number.isInteger(width) ? { screenWidth: width } : {}),
    ...(client.language === undefined ? {} : { language: client.language }),
    ...extra,
  };
  let data: RawTraffic[];
  try {
    data = domains.map((site) => validate({ ...common, site }));
  } catch (e) {
    // One schema check per event in the common case; only a failing one asks whether the user agent
    // alone is the problem (then the event is dropped, as one without a user agent is).
    if (drop !== undefined || !(e instanceof CollectError) || userAgentProblem(ua) === undefined) throw e;
    drop = 'invalid_user_agent';
    data = domains.map((site) => validate({ ...common, userAgent: 'unknown', site }));
  }
  if (drop !== undefined) return { kind: 'drop', reason: drop, events: data.length };
  return { kind: 'accept', events: data.map((d) => createRawEvent({ id: deps.newId(), source: SOURCES.tracker, data: d })) };
}

/** The first language tag of an Accept-Language header (`de-CH,de;q=0.9` → `de-CH`), if it looks like one. */
export function firstLanguage(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const tag = header.split(',')[0]?.split(';')[0]?.trim() ?? '';
  return LANGUAGE_TAG.test(tag) && tag.length <= 35 ? tag : undefined;
}
