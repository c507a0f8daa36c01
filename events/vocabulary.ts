/**
 * The stats vocabulary: metric, dimension and period names, the same in SQL, the API, the UI and the
 * simulator's ground truth (ARCHITECTURE.md "Metric definitions"). Plain constants with no imports,
 * so the browser bundle can take them without the schemas.
 */

/** Dimensions of a visit: those of its first event (entry/exit: its first/last pageview). */
export const SESSION_DIMENSIONS = [
  'entry_page',
  'exit_page',
  'source',
  'referrer',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'country',
  'browser',
  'os',
  'device',
] as const;
export type SessionDimension = (typeof SESSION_DIMENSIONS)[number];

/** Every breakdown dimension: per event (`page`, `event`) and per visit. */
export const DIMENSIONS = ['page', ...SESSION_DIMENSIONS, 'event'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const METRICS = [
  'visitors',
  'pageviews',
  'visits',
  'bounce_rate',
  'visit_duration',
  'views_per_visit',
  'events',
  'bot_events',
] as const;
export type Metric = (typeof METRICS)[number];

export const PERIODS = ['today', '24h', '7d', '30d', '90d', '12mo'] as const;
export type PeriodName = (typeof PERIODS)[number];

export const INTERVALS = ['minute', 'hour', 'day'] as const;
export type Interval = (typeof INTERVALS)[number];

/** Dimensions a filter may name besides `props:<key>`: every breakdown dimension plus utm_content and utm_term. */
export const FILTER_DIMENSIONS = [...DIMENSIONS, 'utm_content', 'utm_term'] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

/** `props:<key>`: a custom property as a filter or breakdown dimension. */
export const PROPS_PREFIX = 'props:';

/**
 * The additive counters of a rollup row, in SQL column order (ARCHITECTURE.md "SQL schema"). One list for
 * the rollup core, the writer, the row reader, the query and the tests.
 * - visitors: exact distinct visitorIds of the bucket's site-day(s) with the value (see "Visitors are exact").
 * - engaged_ms / engaged_visitors / scroll_depth_sum: pages only, from engagement events: total engaged time,
 *   visitors with at least one engagement on the page, and the sum over those visitors of their greatest scroll depth.
 */
export const ROLLUP_COUNTERS = [
  'visitors',
  'pageviews',
  'visits',
  'bounces',
  'duration_ms',
  'events',
  'bot_events',
  'engaged_ms',
  'engaged_visitors',
  'scroll_depth_sum',
] as const;
export type RollupCounter = (typeof ROLLUP_COUNTERS)[number];
export type Counters = Record<RollupCounter, number>;

/** Visits end after this much inactivity (DESIGN §3: "no gap longer than 30 minutes"). */
export const VISIT_INACTIVITY_MS = 30 * 60 * 1000;
