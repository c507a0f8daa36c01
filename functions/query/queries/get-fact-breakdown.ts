/**
 * One page of a dimension's values over a range that cuts through days (`24h`), from the facts: day rollups
 * cannot answer a part of a day and hour rows exist only for pages, whose hourly visitors do not add up across
 * hours. Exact: visitors are COUNT(DISTINCT visitor_id) of the range's facts.
 * - visit dimensions: the visits that started in the range (a visit belongs to the hour of its first event),
 *   as the rollups attribute them; bounces are visits of one pageview, duration last − first event;
 * - `page`: the range's non-bot pageviews; engagement (time on page, scroll depth) from the range's engagement
 *   events of the returned pages only, per visitor as the rollups count it;
 * - `event`: the range's non-bot custom events by name.
 * Ranked like get-breakdown.ts (visitors, then tieColumn), ties by value. Both bounds are given as site-local
 * day starts (the clustered `day` key of the facts, so the scan stays inside one or two days) and as UTC instants.
 */
import { SESSION_DIMENSIONS, type SessionDimension } from '../../../events/vocabulary';
import type { Dimension } from '../params';
import type { BreakdownQuery, BreakdownRow } from './get-breakdown';
import type { Reader } from './reader';
import { counters, num, str } from './rows';

export interface FactBreakdownQuery extends Omit<BreakdownQuery, 'from' | 'to'> {
  /** First and last site-local day the range touches (inclusive day starts). */
  fromDay: number;
  lastDay: number;
  /** UTC instants [fromTs, toTs) of the range. */
  fromTs: number;
  toTs: number;
}

const isSessionDimension = (d: Dimension): d is SessionDimension => (SESSION_DIMENSIONS as readonly string[]).includes(d);

export async function getFactBreakdown(read: Reader, q: FactBreakdownQuery): Promise<BreakdownRow[]> {
  const bounds = { siteId: q.siteId, fromDay: q.fromDay, lastDay: q.lastDay, fromTs: q.fromTs, toTs: q.toTs };
  const page = { limit: q.limit + 1, offset: q.offset };
  if (isSessionDimension(q.dimension)) {
    // The column name is a member of the closed SESSION_DIMENSIONS list (the visits columns), never request text.
    const rows = await read.select(
      `SELECT ${q.dimension} AS value, COUNT(DISTINCT visitor_id) AS visitors, COUNT(*) AS visits, SUM(pageviews) AS pageviews,
              SUM(CASE WHEN pageviews = 1 THEN 1 ELSE 0 END) AS bounces, SUM(ended_at - started_at) AS duration_ms, SUM(events) AS events
       FROM visits
       WHERE site_id = :siteId AND day >= :fromDay AND day <= :lastDay AND started_at >= :fromTs AND started_at < :toTs
       GROUP BY ${q.dimension}
       ORDER BY visitors DESC, pageviews DESC, value ASC
       LIMIT :limit OFFSET :offset`,
      { ...bounds, ...page },
    );
    return rows.map((r) => ({ ...counters(r), value: str(r.value) }));
  }
  const isPage = q.dimension === 'page';
  const rows = await read.select(
    `SELECT ${isPage ? 'page' : 'name'} AS value, COUNT(DISTINCT visitor_id) AS visitors, COUNT(*) AS ${isPage ? 'pageviews' : 'events'}
     FROM events
     WHERE site_id = :siteId AND day >= :fromDay AND day <= :lastDay AND ts >= :fromTs AND ts < :toTs AND kind = :kind AND bot = 0
     GROUP BY ${isPage ? 'page' : 'name'}
     ORDER BY visitors DESC, ${isPage ? 'pageviews' : 'events'} DESC, value ASC
     LIMIT :limit OFFSET :offset`,
    { ...bounds, ...page, kind: isPage ? 'pageview' : 'event' },
  );
  const result = rows.map((r) => ({ ...counters(r), value: str(r.value) }));
  if (!isPage || result.length === 0) return result;
  const engagement = await read.select(
    `SELECT page, SUM(ms) AS engaged_ms, COUNT(*) AS engaged_visitors, SUM(depth) AS scroll_depth_sum
     FROM (
       SELECT page, visitor_id, SUM(engaged_ms) AS ms, COALESCE(MAX(scroll_depth), 0) AS depth
       FROM events
       WHERE site_id = :siteId AND day >= :fromDay AND day <= :lastDay AND ts >= :fromTs AND ts < :toTs
         AND kind = 'engagement' AND bot = 0 AND page IN (:pages)
       GROUP BY page, visitor_id
     ) e
     GROUP BY page`,
    { ...bounds, pages: result.map((r) => r.value) },
  );
  const byPage = new Map(engagement.map((e) => [str(e.page), e]));
  return result.map((r) => {
    const e = byPage.get(r.value);
    if (e === undefined) return r;
    return { ...r, engaged_ms: num(e.engaged_ms), engaged_visitors: num(e.engaged_visitors), scroll_depth_sum: num(e.scroll_depth_sum) };
  });
}
