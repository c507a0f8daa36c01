/**
 * One page of a breakdown over the kept visits (ARCHITECTURE.md "Filters"):
 * - a visit dimension groups the kept visits by their column: visitors, visits, pageviews, bounces, duration;
 * - `page`: the pageviews of the kept visits by page; visitors = distinct visitors of the kept visits that
 *   viewed the page; `event`: their custom events by name (visitors, events);
 * - `props:<key>`: their custom events carrying the key, by value (visitors, events).
 * A filter on the breakdown's own event dimension also chooses its rows (see ownRowPredicate).
 * Ordered in SQL: visitors, then pageviews (event and props: events), then the value's bytes; values
 * compare and group byte for byte (MySQL's `_ci` collations would merge `Chrome` and `chrome`).
 */
import { DAY_MS } from '../../lib/time';
import type { FilterSubject, Filters, VisitFilterDimension } from '../filters';
import type { LocalRange } from '../period';
import { TOTALS_SQL, totalsOf, type FactTotals } from './fact-totals';
import { Binds, intLiteral, num, selectBound, str } from './sql';
import { getKeptAnswers, isIndexedDimension, pageBreakdownOfKept, visitBreakdownOfKept } from './kept-visits';
import { VISIT_COLUMN, keptVisits, ownRowPredicate, visitsFrom, visitsWithEvents, type FactContext } from './where';

export type FactDimension =
  { kind: 'visit'; dimension: VisitFilterDimension } | { kind: 'page' } | { kind: 'event' } | { kind: 'prop'; key: string };

export interface FactBreakdownRow extends FactTotals {
  value: string;
}

export interface FactPage {
  limit: number;
  offset: number;
}

/** Fetches limit + 1 rows, so the caller knows whether there is a next page. */
export async function getFactBreakdown(
  ctx: FactContext,
  filters: Filters,
  range: LocalRange,
  dim: FactDimension,
  page: FactPage,
): Promise<FactBreakdownRow[]> {
  const fromKept = await breakdownOfKeptVisits(ctx, filters, range, dim, page);
  if (fromKept !== undefined) return fromKept;
  const b = new Binds();
  const where = keptVisits(ctx, filters, range, b);
  const limit = `LIMIT ${intLiteral(page.limit + 1)} OFFSET ${intLiteral(page.offset)}`;
  const withEvents = () => visitsWithEvents(ctx, filters, range, b);
  let sql: string;
  if (dim.kind === 'visit') {
    const col = ctx.text.exact(`v.${VISIT_COLUMN[dim.dimension]}`);
    sql = `SELECT ${col} AS dim_value, ${TOTALS_SQL} FROM ${visitsFrom(ctx, filters)} WHERE ${where}
           GROUP BY dim_value ORDER BY visitors DESC, pageviews DESC, dim_value ASC ${limit}`;
  } else if (dim.kind === 'page') {
    const own = ownRowPredicate(ctx, filters, (s: FilterSubject) => s.kind === 'page', b);
    sql = `SELECT ${ctx.text.exact('e.page')} AS dim_value, COUNT(DISTINCT v.visitor_id) AS visitors, COUNT(*) AS pageviews
           FROM ${withEvents()} WHERE ${where} AND e.kind = 'pageview' AND ${own}
           GROUP BY dim_value ORDER BY visitors DESC, pageviews DESC, dim_value ASC ${limit}`;
  } else if (dim.kind === 'event') {
    const own = ownRowPredicate(ctx, filters, (s: FilterSubject) => s.kind === 'event', b);
    sql = `SELECT ${ctx.text.exact('e.name')} AS dim_value, COUNT(DISTINCT v.visitor_id) AS visitors, COUNT(*) AS events
           FROM ${withEvents()} WHERE ${where} AND e.kind = 'event' AND ${own}
           GROUP BY dim_value ORDER BY events DESC, visitors DESC, dim_value ASC ${limit}`;
  } else {
    const own = ownRowPredicate(ctx, filters, (s: FilterSubject) => s.kind === 'prop' && s.key === dim.key, b);
    sql = `SELECT ${ctx.text.exact('p.prop_value')} AS dim_value, COUNT(DISTINCT v.visitor_id) AS visitors, COUNT(*) AS events
           FROM ${withEvents()}
           JOIN event_props p ON p.site_id = e.site_id AND p.day = e.day AND p.event_key = e.event_key
             AND p.prop_key = ${b.add(dim.key)} AND ${ctx.text.exact('p.prop_key')} = ${b.add(dim.key)}
           WHERE ${where} AND e.kind = 'event' AND ${own}
           GROUP BY dim_value ORDER BY visitors DESC, events DESC, dim_value ASC ${limit}`;
  }
  const rows = await selectBound(ctx, sql, b);
  return rows.map((r) => ({ ...totalsOf(r), value: str(r.dim_value) }));
}

/**
 * The breakdowns the kept visits answer (kept-visits.ts): an indexed visit dimension, and pages unless a
 * page condition also chooses the rows (that predicate stays in SQL). Undefined: ask SQL.
 */
async function breakdownOfKeptVisits(
  ctx: FactContext,
  filters: Filters,
  range: LocalRange,
  dim: FactDimension,
  page: FactPage,
): Promise<FactBreakdownRow[] | undefined> {
  const visitDimension = dim.kind === 'visit' && isIndexedDimension(dim.dimension) ? dim.dimension : undefined;
  const pages = dim.kind === 'page' && !filters.some((c) => c.subject.kind === 'page');
  if (visitDimension === undefined && !pages) return undefined;
  const answers = await getKeptAnswers(ctx, filters, range);
  if (answers === undefined) return undefined;
  if (visitDimension !== undefined) return visitBreakdownOfKept(answers, visitDimension, page.offset, page.limit + 1);
  return pageBreakdownOfKept(ctx, range, answers, page.offset, page.limit + 1);
}

/** Keys of custom properties seen on custom events in a range (unfiltered), most used first. */
export async function getPropKeys(ctx: FactContext, range: LocalRange, limit: number): Promise<{ key: string; events: number }[]> {
  const b = new Binds();
  const rows = await selectBound(
    ctx,
    `SELECT ${ctx.text.exact('p.prop_key')} AS prop, COUNT(*) AS events FROM event_props p
     WHERE p.site_id = ${b.add(ctx.siteId)} AND p.day >= ${b.add(range.from - (range.from % DAY_MS))} AND p.day < ${b.add(range.to)}
     GROUP BY prop ORDER BY events DESC, prop ASC LIMIT ${intLiteral(limit)}`,
    b,
  );
  return rows.map((r) => ({ key: str(r.prop), events: num(r.events) }));
}
