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
