/**
 * Runtime schemas of the event data; the TypeScript types are derived from them (z.infer),
 * so nothing re-declares a field. Strings are bounded, control characters refused.
 */
import { z } from 'zod';
import { LIMITS } from './limits';
import { REJECT_REASONS } from './errors';

// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** Patterns the schema checks, shared with the quick check of raw-check.ts. */
export const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;
export const CLIENT_SESSION_ID = /^[A-Za-z0-9._:-]+$/;
export const DECIMAL_AMOUNT = /^-?\d{1,12}(?:\.\d{1,6})?$/;
export const CURRENCY_CODE = /^[A-Z]{3}$/;
export const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Text without control characters, bounded. */
export const text = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((s) => !CONTROL_CHARS.test(s), { message: 'must not contain control characters' });

export const hostnameSchema = z.string().max(253).regex(HOSTNAME, { message: 'must be a lower-case hostname such as example.com' });

export function isHttpUrl(s: string): boolean {
  // One parse (canParse and then new URL would parse twice); a throw only for the rare bad URL.
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
}

const httpUrl = text(LIMITS.maxUrlLength).refine(isHttpUrl, { message: 'must be an absolute http(s) URL' });

/** RFC 3339 date-time with an offset (CloudEvents `time` uses the same format). */
const timestamp = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z' });

const propValue = z.union([text(LIMITS.maxPropValueLength), z.number().finite(), z.boolean()]);
// zod's record drops a `__proto__` key without a word (no pollution, but the prop would vanish):
// refuse it, so nothing is silently lost.
const props = z
  .unknown()
  .refine((o) => !(typeof o === 'object' && o !== null && Object.hasOwn(o, '__proto__')), { message: 'must not have a __proto__ key' })
  .pipe(
    z
      .record(text(LIMITS.maxPropKeyLength).min(1), propValue)
      .refine((o) => Object.keys(o).length <= LIMITS.maxPropKeys, { message: `at most ${LIMITS.maxPropKeys} props` }),
  );

const eventName = text(LIMITS.maxNameLength).min(1);
const clientSessionId = z.string().min(1).max(128).regex(CLIENT_SESSION_ID, { message: 'must be 1-128 of A-Z a-z 0-9 . _ : -' });

const rawCommon = {
  site: hostnameSchema,
  url: httpUrl,
  referrer: z.union([z.literal(''), httpUrl]).optional(),
  timestamp,
  userAgent: text(LIMITS.maxUserAgentLength).min(1, { message: 'must not be empty' }),
  ip: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' }),
  screenWidth: z.number().int().min(0).max(100_000).optional(),
  language: z.string().max(35).regex(LANGUAGE_TAG, { message: 'must be a BCP 47 tag' }).optional(),
  sessionId: clientSessionId.optional(),
  engagementMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 60 * 60 * 1000)
    .optional(),
  /** Plausible's `h`: the site routes by URL fragment, so the fragment is part of the page path. */
  hashMode: z.boolean().optional(),
};

/** Plausible's `$`: revenue of a custom event, e.g. {amount: "12.50", currency: "EUR"} (amount as a decimal string). */
export const revenueSchema = z.strictObject({
  amount: z.string().regex(DECIMAL_AMOUNT, { message: 'must be a decimal number, e.g. 12.50' }),
  currency: z.string().regex(CURRENCY_CODE, { message: 'must be an ISO 4217 code such as EUR' }),
});
export type Revenue = z.infer<typeof revenueSchema>;

const scrollDepth = z.number().int().min(0).max(100);

/**
 * What a tracker or the simulator sends: a pageview, a custom event, or an engagement report (Plausible's
 * `engagement`: sent when a page is hidden or left, with the scroll depth reached and the engaged time).
 * A client's `sessionId` is accepted for compatibility but never trusted: visits are derived by aggregate.
 * `interactive: false` marks a custom event that must not affect bounce rate (Plausible's `i`).
 */
export const rawTrafficSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('pageview'), ...rawCommon }),
  z.strictObject({
    kind: z.literal('event'),
    name: eventName,
    props: props.optional(),
    revenue: revenueSchema.optional(),
    interactive: z.boolean().optional(),
    ...rawCommon,
  }),
  z.strictObject({ kind: z.literal('engagement'), scrollDepth: scrollDepth.optional(), ...rawCommon }),
]);
export type RawTraffic = z.infer<typeof rawTrafficSchema>;

export const DEVICES = ['desktop', 'mobile', 'tablet', 'tv', 'console', 'wearable', 'other'] as const;
export const CHANNELS = ['direct', 'search', 'social', 'email', 'paid', 'campaign', 'referral', 'internal'] as const;

export const TRAFFIC_KINDS = ['pageview', 'event', 'engagement'] as const;
export type TrafficKind = (typeof TRAFFIC_KINDS)[number];

const visitorId = z.string().regex(/^[0-9a-f]{16}$/);

/**
 * After enrich: no IP, no raw user agent; identity and dimensions added. Absent dimensions are ''.
 * Enrich is stateless: no session here. `visitorId` uses the salt of the event's site-local day,
 * `prevVisitorId` the previous day's salt, so aggregate can continue a visit across the site's midnight
 * (Plausible keeps the previous salt for the same reason).
 */
export const enrichedTrafficSchema = z.strictObject({
  site: hostnameSchema,
  kind: z.enum(TRAFFIC_KINDS),
  name: z.string().max(LIMITS.maxNameLength),
  props: props,
  /** Custom events only; null otherwise. */
  revenue: revenueSchema.nullable(),
  /** false: a custom event that must not affect bounce rate; true for everything else. */
  interactive: z.boolean(),
  timestamp,
  visitorId,
  prevVisitorId: visitorId,
  hostname: z.string().max(253),
  path: z.string().max(LIMITS.maxUrlLength),
  referrer: z.string().max(LIMITS.maxUrlLength),
  source: z.string().max(128),
  channel: z.enum(CHANNELS),
  utmSource: z.string().max(256),
  utmMedium: z.string().max(256),
  utmCampaign: z.string().max(256),
  utmContent: z.string().max(256),
  utmTerm: z.string().max(256),
  country: z.string().regex(/^[A-Z]{2}$/),
  browser: z.string().max(64),
  os: z.string().max(64),
  device: z.enum(DEVICES),
  bot: z.boolean(),
  screenWidth: z.number().int().nullable(),
  language: z.string().max(35),
  engagementMs: z.number().int().min(0),
  /** Engagement events only: the scroll depth reached (percent); null otherwise or when not sent. */
  scrollDepth: scrollDepth.nullable(),
});
export type EnrichedTraffic = z.infer<typeof enrichedTrafficSchema>;

export const problemSchema = z.strictObject({ path: z.string(), message: z.string() });

/** The original record, verbatim: attributes/headers as received and the body as text (or base64). */
export const originalMessageSchema = z.strictObject({
  transport: z.enum(['kafka', 'http']),
  headers: z.record(z.string(), z.string()),
  key: z.string().nullable(),
  body: z.string(),
  bodyEncoding: z.enum(['utf8', 'base64']),
  /** Set when only the first LIMITS.maxOriginalBodyBytes of a larger body are kept. */
  truncated: z.literal(true).optional(),
  bodyBytes: z.number().int().optional(),
  bodySha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type OriginalMessage = z.infer<typeof originalMessageSchema>;

export const rejectedTrafficSchema = z.strictObject({
  reason: z.enum(REJECT_REASONS),
  problems: z.array(problemSchema),
  stage: z.enum(['enrich', 'aggregate', 'generate']),
  rejectedAt: timestamp,
  original: originalMessageSchema,
});
export type RejectedTraffic = z.infer<typeof rejectedTrafficSchema>;
