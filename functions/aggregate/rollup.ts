/**
 * Keys shared with readers and seeders outside aggregate (query's seeders, e2e, bench) that imported them
 * from here before storage v2; the writer's modules import them from model.ts. New code should use
 * `Counters` of events/vocabulary.ts (the ROLLUP_COUNTERS names).
 */
export { eventKey, valueKeyOf } from './model';

/** The v1 counters in camelCase, as functions/query/queries/rows.ts reads them (until it moves to ROLLUP_COUNTERS). */
export interface Counters {
  pageviews: number;
  visits: number;
  bounces: number;
  durationMs: number;
  events: number;
  botEvents: number;
}
