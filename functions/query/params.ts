/**
 * Every query parameter of the stats API, validated in this one module with zod. Parsing is strict:
 * unknown parameters, repeated parameters, empty values and over-long values are 400s naming the
 * parameter, so a typo never silently falls back to a default.
 */
import { z } from 'zod';
import { invalidParameter } from './errors';
import { PERIODS, checkDateRange, type PeriodInput } from './period';

// The vocabulary is shared with the UI and the ground truth: one list, in events/vocabulary.ts.
export { DIMENSIONS, INTERVALS, METRICS, type Dimension, type Interval, type Metric } from '../../events/vocabulary';
import { DIMENSIONS, INTERVALS, METRICS, type Dimension, type Interval, type Metric } from '../../events/vocabulary';

const MAX_VALUE_LENGTH = 256;
/** `filters` holds up to 10 conditions with values of up to 2,000 characters (bounded again by the URL limit). */
const LONG_VALUE_LENGTH: Readonly<Record<string, number>> = { filters: 4096 };
const MAX_PARAMS = 16;

/** Query string → one value per name; throws 400 on repetition, too many parameters or empty/huge values. */
export function parseQueryString(query: string): Record<string, string> {
  // URLSearchParams turns broken percent-encoding (`%zz`, a cut UTF-8 sequence) into other text without a
  // word; a value would then mean something the client never sent, so it is a 400 naming the parameter.
  for (const pair of query.split('&')) {
    try {
      decodeURIComponent(pair.replace(/\+/g, ' '));
    } catch {
      const name = pair.split('=', 1)[0] ?? '';
      throw invalidParameter(/^[a-z_]{1,32}$/.test(name) ? name : 'query', 'is not valid percent-encoding (encode each value once, UTF-8)');
    }
  }
  // A Map, not an object literal: a parameter named `__proto__` must stay a plain key.
  const out = new Map<string, string>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(query)) {
    if (++count > MAX_PARAMS) throw invalidParameter('query', `at most ${MAX_PARAMS} parameters`);
    const shownName = /^[a-z_]{1,32}$/.test(name) ? name : 'query';
    if (out.has(name)) throw invalidParameter(shownName, 'must be given once');
    const max = Object.hasOwn(LONG_VALUE_LENGTH, name) ? LONG_VALUE_LENGTH[name]! : MAX_VALUE_LENGTH;
    if (value.length > max) throw invalidParameter(shownName, `must be at most ${max} characters`);
    out.set(name, value);
  }
  return Object.fromEntries(out);
}

// Hostnames as the site registry stores them: lower-case labels, no scheme, port or path.
const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const site = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => HOSTNAME_RE.test(s), { message: 'must be a site hostname such as example.com' });

const intIn = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .refine((s) => s === undefined || /^[0-9]{1,7}$/.test(s), { message: `must be an integer from ${min} to ${max}` })
    .transform((s) => (s === undefined ? fallback : Number(s)))
    .refine((n) => n >= min && n <= max, { message: `must be an integer from ${min} to ${max}` });

const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { message: `must be one of ${values.join(', ')}` });

const periodFields = {
  site,
  period: oneOf(PERIODS).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
};

interface PeriodFields {
  period?: (typeof PERIODS)[number];
  from?: string;
  to?: string;
}

function periodOf(p: PeriodFields): PeriodInput {
  if (p.from !== undefined || p.to !== undefined) {
    if (p.period !== undefined) throw invalidParameter('period', 'cannot be combined with from/to');
    if (p.from === undefined) throw invalidParameter('from', 'is required with to');
    if (p.to === undefined) throw invalidParameter('to', 'is required with from');
    const problem = checkDateRange(p.from, p.to);
    if (problem !== undefined) throw invalidParameter(problem.param, problem.message);
    return { from: p.from, to: p.to };
  }
  return { period: p.period ?? '7d' };
}

const metricList = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined) return ['visitors', 'pageviews'] satisfies Metric[];
    const parts = s.split(',');
    const known = new Set<string>(METRICS);
    if (parts.some((p) => !known.has(p)) || new Set(parts).size !== parts.length) {
      ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of distinct metrics from ${METRICS.join(', ')}` });
      return z.NEVER;
    }
    return parts as Metric[];
  });

const schemas = {
  none: z.object({}).strict(),
  siteOnly: z.object({ site }).strict(),
  summary: z.object(periodFields).strict(),
  timeseries: z.object({ ...periodFields, metrics: metricList, interval: oneOf(INTERVALS).optional() }).strict(),
  breakdown: z.object({ ...periodFields, dimension: oneOf(DIMENSIONS), limit: intIn(1, 1000, 10), page: intIn(1, 100_000, 1) }).strict(),
};

function parseWith<S extends z.ZodType>(schema: S, raw: Record<string, string>): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? 'query';
    throw invalidParameter(/^[a-z_]{1,32}$/.test(name) ? name : 'query', 'is not a parameter of this endpoint');
  }
  const name = String(issue.path[0] ?? 'query');
  // zod's own messages for a missing value mention types; say plainly what is wrong instead.
  const message = raw[name] === undefined ? 'is required' : raw[name] === '' ? 'must not be empty' : issue.message;
  throw invalidParameter(name, message);
}

export interface SummaryParams {
  site: string;
  period: PeriodInput;
}
export interface TimeseriesParams extends SummaryParams {
  metrics: Metric[];
  interval: Interval | undefined;
}
export interface BreakdownParams extends SummaryParams {
  dimension: Dimension;
  limit: number;
  page: number;
}

export function parseNoParams(raw: Record<string, string>): void {
  parseWith(schemas.none, raw);
}

export function parseSiteOnly(raw: Record<string, string>): { site: string } {
  return parseWith(schemas.siteOnly, raw);
}

export function parseSummary(raw: Record<string, string>): SummaryParams {
  const p = parseWith(schemas.summary, raw);
  return { site: p.site, period: periodOf(p) };
}

export function parseTimeseries(raw: Record<string, string>): TimeseriesParams {
  const p = parseWith(schemas.timeseries, raw);
  return { site: p.site, period: periodOf(p), metrics: p.metrics, interval: p.interval };
}

export function parseBreakdown(raw: Record<string, string>): BreakdownParams {
  const p = parseWith(schemas.breakdown, raw);
  return { site: p.site, period: periodOf(p), dimension: p.dimension, limit: p.limit, page: p.page };
}
