/**
 * Day-local visitor indexes (issue 12, ARCHITECTURE.md "Day-local visitor indexes"): the writer's lookups of
 * a visitor's visits and events go through `(site_id, day, visitor_id)` and `(site_id, day, prev_visitor_id)`
 * instead of `(site_id, visitor_id)` and `(site_id, prev_visitor_id)`. A visitor id is a hash under one
 * site-local day's salt, so every row with that id has that day (and a visit whose `prev_visitor_id` is an id
 * of day D starts on day D + 1): the lookups name the day and find the same rows. With the day first, a flush
 * writes these indexes near the end of its day's range, not on a random page of every retained day.
 *
 * Adding and dropping a secondary index is an in-place ALTER on MySQL 8 and MariaDB (writes go on meanwhile).
 * The new indexes are added before the old ones go, so the old lookups stay served while the ALTERs run. Once
 * the old ones are gone, a previous build's aggregate (which names them in FORCE INDEX) fails its flushes until
 * the new build replaces it: nothing is lost (the records stay uncommitted, the HTTP path answers 503 and is
 * retried), so run the migration Job with the rollout.
 */
import type { QueryInterface } from 'sequelize';

/** (table, column, old index, new index) */
const INDEXES: readonly (readonly [string, string, string, string])[] = [
  ['events', 'visitor_id', 'events_site_id_visitor_id', 'events_site_day_visitor'],
  ['visits', 'visitor_id', 'visits_site_id_visitor_id', 'visits_site_day_visitor'],
  ['visits', 'prev_visitor_id', 'visits_site_id_prev_visitor_id', 'visits_site_day_prev_visitor'],
];

export const EVENTS_VISITOR_INDEX = INDEXES[0]![3];
export const VISITS_VISITOR_INDEX = INDEXES[1]![3];
export const VISITS_PREV_VISITOR_INDEX = INDEXES[2]![3];

export async function up(qi: QueryInterface): Promise<void> {
  for (const [table, column, , index] of INDEXES) await qi.addIndex(table, ['site_id', 'day', column], { name: index });
  for (const [table, , old] of INDEXES) await qi.removeIndex(table, old);
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const [table, column, old] of INDEXES) await qi.addIndex(table, ['site_id', column], { name: old });
  for (const [table, , , index] of INDEXES) await qi.removeIndex(table, index);
}
