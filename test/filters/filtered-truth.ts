/**
 * The filtered ground truth, computed from `TruthVisit[]` with its own code (never the API's SQL or
 * filters.ts's matching): which visits a filter keeps, and the summary, page breakdown, visit-dimension
 * breakdown, custom property breakdown and goal conversions of the kept visits, by the definitions in
 * ARCHITECTURE.md "Filters". Conditions are given as plain data, so the truth does not share a parser either.
 */
import type { TruthEvent, TruthVisit, TruthVisitDimension } from '../../functions/generate/truth-visit';

export type TruthOp = 'is' | 'is_not' | 'contains';
export type TruthCondition =
  | { on: 'visit'; dimension: TruthVisitDimension; op: TruthOp; values: readonly string[] }
  | { on: 'page' | 'event' | 'goal'; op: TruthOp; values: readonly string[] }
  | { on: 'prop'; key: string; op: TruthOp; values: readonly string[] };

export type TruthGoal = { name: string; event: string } | { name: string; page: string };

export interface TruthSummary {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  bounce_rate: number;
  visit_duration: number;
  views_per_visit: number;
  conversions?: number;
  conversion_rate?: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** `(none)` is the empty value; "contains" is a case-sensitive substring test. */
function valueMatches(op: TruthOp, values: readonly string[], actual: string): boolean {
  const wanted = values.map((v) => (v === '(none)' ? '' : v));
  return op === 'contains' ? wanted.some((w) => actual.includes(w)) : wanted.includes(actual);
}

/** A page pattern: `*` any characters, everything else literal. */
function patternMatches(pattern: string, path: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return re.test(path);
}

export function goalConverts(g: TruthGoal, e: TruthEvent): boolean {
  return 'event' in g ? e.kind === 'event' && e.name === g.event : e.kind === 'pageview' && patternMatches(g.page, e.path);
}

function goalsNamed(goals: readonly TruthGoal[], c: { op: TruthOp; values: readonly string[] }): TruthGoal[] {
  return goals.filter((g) => (c.op === 'contains' ? c.values.some((v) => g.name.includes(v)) : c.values.includes(g.name)));
}

/** Does this event match the condition's subject and values (read as "is"/"contains")? */
function eventMatches(c: TruthCondition, e: TruthEvent, goals: readonly TruthGoal[]): boolean {
  const op: TruthOp = c.op === 'contains' ? 'contains' : 'is';
  switch (c.on) {
    case 'page':
      return e.kind === 'pageview' && valueMatches(op, c.values, e.path);
    case 'event':
      return e.kind === 'event' && valueMatches(op, c.values, e.name);
    case 'goal':
      return goalsNamed(goals, c).some((g) => goalConverts(g, e));
    case 'prop': {
      if (e.kind !== 'event') return false;
      const has = Object.hasOwn(e.props, c.key);
      const none = c.values.includes('(none)');
      const set = c.values.filter((v) => v !== '(none)');
      return (none && !has) || (has && set.length > 0 && valueMatches(op, set, e.props[c.key]!));
    }
    case 'visit':
      return false;
  }
}

export function keeps(v: TruthVisit, c: TruthCondition, goals: readonly TruthGoal[]): boolean {
  if (c.on === 'visit') {
    const m = valueMatches(c.op, c.values, v.dims[c.dimension]);
    return c.op === 'is_not' ? !m : m;
  }
  const has = v.events.some((e) => eventMatches(c, e, goals));
  return c.op === 'is_not' ? !has : has;
}

export interface TruthQuery {
  /** Site-local dates, inclusive. */
  from: string;
  to: string;
  conditions: readonly TruthCondition[];
  goals?: readonly TruthGoal[];
}

export function keptVisits(visits: readonly TruthVisit[], q: TruthQuery): TruthVisit[] {
  const goals = q.goals ?? [];
  return visits.filter((v) => v.day >= q.from && v.day <= q.to && q.conditions.every((c) => keeps(v, c, goals)));
}

/** Visitors: distinct person-days, i.e. each day's distinct visitors summed over the days. */
const visitorsOf = (visits: readonly TruthVisit[]) => new Set(visits.map((v) => `${v.day}/${v.visitor}`)).size;

export function filteredSummary(visits: readonly TruthVisit[], q: TruthQuery): TruthSummary {
  const kept = keptVisits(visits, q);
  const pageviews = kept.reduce((n, v) => n + v.events.filter((e) => e.kind === 'pageview').length, 0);
  const events = kept.reduce((n, v) => n + v.events.filter((e) => e.kind === 'event').length, 0);
  const bounces = kept.filter((v) => v.events.filter((e) => e.kind === 'pageview').length === 1).length;
  const duration = kept.reduce((n, v) => n + (v.end - v.start), 0);
  const per = (n: number) => (kept.length === 0 ? 0 : n / kept.length);
  const out: TruthSummary = {
    visitors: visitorsOf(kept),
    visits: kept.length,
    pageviews,
    events,
    bounce_rate: round1(per(bounces) * 100),
    visit_duration: Math.round(per(duration) / 1000),
    views_per_visit: round2(per(pageviews)),
  };
  const goalConds = q.conditions.filter((c) => c.on === 'goal' && c.op !== 'is_not');
  if (goalConds.length > 0) {
    const goals = q.goals ?? [];
    const converting = [...new Set(goalConds.flatMap((c) => goalsNamed(goals, c as { op: TruthOp; values: readonly string[] })))];
    out.conversions = kept.reduce((n, v) => n + v.events.filter((e) => converting.some((g) => goalConverts(g, e))).length, 0);
    const base = keptVisits(visits, { ...q, conditions: q.conditions.filter((c) => c.on !== 'goal') });
    const all = visitorsOf(base);
    out.conversion_rate = all === 0 ? 0 : round1((visitorsOf(kept) / all) * 100);
  }
  return out;
}

export interface TruthRow {
  value: string;
  visitors: number;
  pageviews?: number;
  events?: number;
  visits?: number;
  conversion_rate?: number;
}

const byVisitorsThen = (second: 'pageviews' | 'events') => (a: TruthRow, b: TruthRow) =>
  b.visitors - a.visitors || (b[second] ?? 0) - (a[second] ?? 0) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

/**
 * Pages of the kept visits: pageviews of each page, visitors = person-days of kept visits that viewed it.
 * A page condition also chooses the rows (only pages it matches; `is_not`: pages it does not name).
 */
export function filteredPages(visits: readonly TruthVisit[], q: TruthQuery): TruthRow[] {
  const pageConds = q.conditions.filter((c) => c.on === 'page');
  const rows = new Map<string, { visitors: Set<string>; pageviews: number }>();
  for (const v of keptVisits(visits, q)) {
    for (const e of v.events) {
      if (e.kind !== 'pageview') continue;
      if (!pageConds.every((c) => (c.op === 'is_not' ? !valueMatches('is', c.values, e.path) : valueMatches(c.op, c.values, e.path))))
        continue;
      const r = rows.get(e.path) ?? { visitors: new Set<string>(), pageviews: 0 };
      r.visitors.add(`${v.day}/${v.visitor}`);
      r.pageviews++;
      rows.set(e.path, r);
    }
  }
  return [...rows].map(([value, r]) => ({ value, visitors: r.visitors.size, pageviews: r.pageviews })).sort(byVisitorsThen('pageviews'));
}

/** A visit dimension over the kept visits: visitors, visits and pageviews per value ('' shown as "(none)"). */
export function filteredVisitBreakdown(visits: readonly TruthVisit[], q: TruthQuery, dimension: TruthVisitDimension): TruthRow[] {
  const rows = new Map<string, { visitors: Set<string>; visits: number; pageviews: number }>();
  for (const v of keptVisits(visits, q)) {
    const value = v.dims[dimension];
    const r = rows.get(value) ?? { visitors: new Set<string>(), visits: 0, pageviews: 0 };
    r.visitors.add(`${v.day}/${v.visitor}`);
    r.visits++;
    r.pageviews += v.events.filter((e) => e.kind === 'pageview').length;
    rows.set(value, r);
  }
  return [...rows]
    .map(([value, r]) => ({ value: value === '' ? '(none)' : value, visitors: r.visitors.size, visits: r.visits, pageviews: r.pageviews }))
    .sort(byVisitorsThen('pageviews'));
}

/** Values of a custom property on the custom events of the kept visits. */
export function filteredPropValues(visits: readonly TruthVisit[], q: TruthQuery, key: string): TruthRow[] {
  const rows = new Map<string, { visitors: Set<string>; events: number }>();
  for (const v of keptVisits(visits, q)) {
    for (const e of v.events) {
      if (e.kind !== 'event' || !Object.hasOwn(e.props, key)) continue;
      const r = rows.get(e.props[key]!) ?? { visitors: new Set<string>(), events: 0 };
      r.visitors.add(`${v.day}/${v.visitor}`);
      r.events++;
      rows.set(e.props[key]!, r);
    }
  }
  return [...rows].map(([value, r]) => ({ value, visitors: r.visitors.size, events: r.events })).sort(byVisitorsThen('events'));
}

/** Each goal's unique conversions (visitors), total conversions (events) and rate over the kept visits. */
export function goalBreakdown(visits: readonly TruthVisit[], q: TruthQuery, goals: readonly TruthGoal[]): TruthRow[] {
  const kept = keptVisits(visits, { ...q, goals });
  const all = visitorsOf(kept);
  return goals
    .map((g) => {
      const converting = kept.filter((v) => v.events.some((e) => goalConverts(g, e)));
      const events = kept.reduce((n, v) => n + v.events.filter((e) => goalConverts(g, e)).length, 0);
      return {
        value: g.name,
        visitors: visitorsOf(converting),
        events,
        conversion_rate: all === 0 ? 0 : round1((visitorsOf(converting) / all) * 100),
      };
    })
    .filter((r) => r.events > 0)
    .sort(byVisitorsThen('events'));
}
