/**
 * The SQL predicate of a filter over the visit facts (alias `v`), with bound values only.
 *
 * Semantics (ARCHITECTURE.md "Filters"):
 * - a visit condition (source, country, entry_page, …) keeps the visits whose column matches;
 * - a page, event, goal or props condition keeps the visits that contain a matching event (as Plausible):
 *   `==` / `~` — at least one matching event; `!=` — no matching event at all;
 * - conditions are ANDed, each on its own (two page conditions may be met by two different pageviews);
 *   the alternatives of one condition are ORed.
 * Event conditions are semi-joins on `events` restricted to the range's days (a visit's events lie on its
 * day or the next: visits span at most two site-days), so the primary key (site_id, day, …) bounds them.
 */
import { createTextMatch, forceIndex, type TextMatch } from '../../lib/db/dialect';
import { COUNTRY_INDEX, FILTER_INDEX } from '../../lib/db/migrations/0004-goals';
import type { Database } from '../../lib/db';
import { DAY_MS, fromLocalMs } from '../../lib/time';
import type { Goal } from '../../sites/goals';
import type { FilterCondition, FilterSubject, Filters, VisitFilterDimension } from '../filters';
import type { LocalRange } from '../period';
import { DEFAULT_STATEMENT_TIMEOUT_MS, type Reader } from '../queries/reader';
import { arraySelectOf, boundSelectOf, type ArraySelect, type BoundSelect, type Binds } from './sql';

/** Visit columns by dimension: a fixed map, so no request text ever becomes an identifier. */
export const VISIT_COLUMN: Readonly<Record<VisitFilterDimension, string>> = {
  entry_page: 'entry_page',
  exit_page: 'exit_page',
  source: 'source',
  referrer: 'referrer',
  channel: 'channel',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  utm_content: 'utm_content',
  utm_term: 'utm_term',
  country: 'country',
  browser: 'browser',
  os: 'os',
  device: 'device',
};

export interface FactContext {
  db: Database;
  /** Every SELECT of the filtered answers (time-limited like the rest of the API). */
  select: BoundSelect;
  /** Large answers: `:name` replacements, rows as arrays (the kept-visits read, kept-visits.ts). */
  selectArrays: ArraySelect;
  /** Kept visits answered from memory at most (kept-visits.ts); 0: every answer from SQL. */
  maxSharedVisits: number;
  /** A read of kept visits in chunks stops with a StatementTimeoutError once it has run this long (ms). */
  readTimeoutMs: number;

  siteId: number;
  timezone: string;
  goals: readonly Goal[];
  text: TextMatch;
}

export function createFactContext(
  deps: { db: Database; read?: Reader; maxSharedVisits: number; statementTimeoutMs?: number },
  site: { id: number; timezone: string },
  goals: readonly Goal[],
): FactContext {
  return {
    db: deps.db,
    select: boundSelectOf(deps.db, deps.read),
    selectArrays: arraySelectOf(deps.db, deps.read),
    maxSharedVisits: deps.maxSharedVisits,
    readTimeoutMs: deps.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    siteId: site.id,
    timezone: site.timezone,
    goals,
    text: createTextMatch(deps.db.dialect.kind),
  };
}

/**
 * `visits v` with the index of the read (migration 0004): by country when a `country==` condition names the
 * countries (a seek to them: a tenth of the range's visits for one country), else by day.
 */
export function visitsFrom(ctx: FactContext, filters: Filters): string {
  const byCountry = filters.some((c) => c.subject.kind === 'visit' && c.subject.dimension === 'country' && c.operator === '==');
  return `visits v ${forceIndex(ctx.db.dialect.kind, byCountry ? COUNTRY_INDEX : FILTER_INDEX)}`.trimEnd();
}

/** `visits v` (visitsFrom) joined to each visit's events (alias e) on the days they can lie on (eventDays). */
export function visitsWithEvents(ctx: FactContext, filters: Filters, range: LocalRange, b: Binds): string {
  return `${visitsFrom(ctx, filters)} JOIN events e ON e.site_id = v.site_id AND e.visit_key = v.visit_key AND ${eventDays(range, b)}`;
}

const dayOf = (localMs: number) => localMs - (((localMs % DAY_MS) + DAY_MS) % DAY_MS);

/**
 * The visits of a range: by the visit's day (its first event's site-local day); for an hourly range
 * (`24h`) also by the instant of its first event, so the visit's hour falls in the range.
 */
export function visitScope(ctx: FactContext, range: LocalRange, b: Binds): string {
  const parts = [`v.site_id = ${b.add(ctx.siteId)}`, `v.day >= ${b.add(dayOf(range.from))}`, `v.day < ${b.add(range.to)}`];
  if (range.grain !== 'd') {
    parts.push(`v.started_at >= ${b.add(fromLocalMs(range.from, ctx.timezone))}`);
    parts.push(`v.started_at < ${b.add(fromLocalMs(range.to, ctx.timezone))}`);
  }
  return parts.join(' AND ');
}

/** The days whose events can belong to the range's visits: [first day, last day + 1]. */
export function eventDays(range: LocalRange, b: Binds, alias = 'e'): string {
  return `${alias}.day >= ${b.add(dayOf(range.from))} AND ${alias}.day < ${b.add(range.to + DAY_MS)}`;
}

/** Goals a goal condition names: `==`/`!=` by exact name, `~` by names containing the value. */
export function goalsOf(ctx: FactContext, c: FilterCondition): Goal[] {
  return ctx.goals.filter((g) => c.values.some((v) => (c.operator === '~' ? g.name.includes(v) : g.name === v)));
}

/** An event (alias e) converts for a goal. */
export function goalMatch(ctx: FactContext, goal: Goal, b: Binds, e = 'e'): string {
  if (goal.kind === 'event') return `(${e}.kind = 'event' AND ${ctx.text.exact(`${e}.name`)} = ${b.add(goal.event)})`;
  return `(${e}.kind = 'pageview' AND ${ctx.text.wildcard(`${e}.page`, b.add(ctx.text.pattern(goal.page.split('*'))))})`;
}

/** `col` equals one of the values (exact bytes), or contains one of them for `~`. */
function textIn(ctx: FactContext, col: string, c: FilterCondition, b: Binds): string {
  if (c.operator === '~') {
    return `(${c.values.map((v) => ctx.text.wildcard(col, b.add(ctx.text.pattern(['', v, ''])))).join(' OR ')})`;
  }
  return ctx.text.inList(col, b.list(c.values));
}

/**
 * An event (alias e) matches the condition's subject and values, read positively (`!=` is applied by
 * the caller as "no such event"). Undefined for visit conditions.
 */
export function eventMatch(ctx: FactContext, c: FilterCondition, b: Binds, e = 'e'): string | undefined {
  const s: FilterSubject = c.subject;
  switch (s.kind) {
    case 'visit':
      return undefined;
    case 'page':
      return `(${e}.kind = 'pageview' AND ${textIn(ctx, `${e}.page`, c, b)})`;
    case 'event':
      return `(${e}.kind = 'event' AND ${textIn(ctx, `${e}.name`, c, b)})`;
    case 'goal': {
      const goals = goalsOf(ctx, c);
      return goals.length === 0 ? '(1 = 0)' : `(${goals.map((g) => goalMatch(ctx, g, b, e)).join(' OR ')})`;
    }
    case 'prop': {
      const prop = (valueSql: string) =>
        `EXISTS (SELECT 1 FROM event_props p WHERE p.site_id = ${e}.site_id AND p.day = ${e}.day AND p.event_key = ${e}.event_key` +
        ` AND p.prop_key = ${b.add(s.key)} AND ${ctx.text.exact('p.prop_key')} = ${b.add(s.key)}${valueSql})`;
      const set = c.values.filter((v) => v !== '');
      const alternatives: string[] = [];
      if (set.length > 0) alternatives.push(prop(` AND ${textIn(ctx, 'p.prop_value', { ...c, values: set }, b)}`));
      // `(none)`: a custom event without the key.
      if (set.length < c.values.length) alternatives.push(`NOT ${prop('')}`);
      return `(${e}.kind = 'event' AND (${alternatives.join(' OR ')}))`;
    }
  }
}

/** The predicate (over alias v) of one condition. */
export function conditionSql(ctx: FactContext, c: FilterCondition, range: LocalRange, b: Binds): string {
  if (c.subject.kind === 'visit') {
    const col = `v.${VISIT_COLUMN[c.subject.dimension]}`;
    const match = textIn(ctx, col, c, b);
    return c.operator === '!=' ? `NOT (${match})` : match;
  }
  const match = eventMatch(ctx, { ...c, operator: c.operator === '!=' ? '==' : c.operator }, b, 'e')!;
  const sub = `SELECT e.visit_key FROM events e WHERE e.site_id = ${b.add(ctx.siteId)} AND ${eventDays(range, b)} AND e.bot = 0 AND ${match}`;
  return `v.visit_key ${c.operator === '!=' ? 'NOT IN' : 'IN'} (${sub})`;
}

/** The kept visits of a range under the filters: `visitScope AND every condition`. */
export function keptVisits(ctx: FactContext, filters: Filters, range: LocalRange, b: Binds): string {
  return [visitScope(ctx, range, b), ...filters.map((c) => conditionSql(ctx, c, range, b))].join(' AND ');
}

/**
 * For a breakdown by an event-level dimension, the filter's conditions on that same dimension also
 * choose its rows (`page==/a` broken down by page shows /a, not every page those visits saw).
 */
export function ownRowPredicate(ctx: FactContext, filters: Filters, same: (s: FilterSubject) => boolean, b: Binds, e = 'e'): string {
  const parts = filters
    .filter((c) => same(c.subject))
    .map((c) => {
      const match = eventMatch(ctx, { ...c, operator: c.operator === '!=' ? '==' : c.operator }, b, e)!;
      return c.operator === '!=' ? `NOT ${match}` : match;
    });
  return parts.length === 0 ? '1 = 1' : parts.join(' AND ');
}
