import type { BreakdownRow, SummaryResponse } from './api';
import { appendPage, barRows, breakdownColumns, chipOf, displayValue, goalFiguresOf, isEmptySummary, kpisOf, rankMetric } from './shaping';

const metrics = (o: Partial<SummaryResponse['metrics']>): SummaryResponse['metrics'] => ({
  visitors: 0,
  pageviews: 0,
  visits: 0,
  bounce_rate: 0,
  visit_duration: 0,
  views_per_visit: 0,
  events: 0,
  bot_events: 0,
  ...o,
});
const summary = (cur: Partial<SummaryResponse['metrics']>, prev: Partial<SummaryResponse['metrics']>): SummaryResponse => ({
  site: 'example.com',
  timezone: 'UTC',
  range: { from: '2026-11-22T00:00:00', to: '2026-11-29T00:00:00' },
  metrics: metrics(cur),
  previous: { range: { from: '2026-11-15T00:00:00', to: '2026-11-22T00:00:00' }, metrics: metrics(prev) },
});

const row = (value: string, visitors: number | null, pageviews: number | null, events: number | null = null): BreakdownRow => ({
  value,
  visitors,
  pageviews,
  visits: null,
  bounce_rate: null,
  visit_duration: null,
  events,
  time_on_page: null,
  scroll_depth: null,
  conversion_rate: null,
});

describe('kpisOf', () => {
  it('lists the six KPIs in order with their change', () => {
    const k = kpisOf(summary({ visitors: 10, bounce_rate: 40 }, { visitors: 5, bounce_rate: 50 }));
    expect(k.map((x) => x.metric)).toEqual(['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit']);
    expect(k[0]).toMatchObject({ value: 10, previous: 5, change: { percent: 100, good: true } });
    expect(k[3]).toMatchObject({ value: 40, previous: 50, change: { percent: -10, good: true } });
  });

  it('adds conversions and conversion rate only when the summary has them (a goal filter)', () => {
    expect(goalFiguresOf(summary({ visitors: 10 }, {}))).toEqual([]);
    const s = summary({ visitors: 10, conversions: 4, conversion_rate: 30 }, { conversions: 2, conversion_rate: 12.5 });
    expect(goalFiguresOf(s).map((g) => [g.key, g.value, g.previous])).toEqual([
      ['conversions', 4, 2],
      ['conversion_rate', 30, 12.5],
    ]);
  });

  it('counts a period without visits, pageviews or events as empty', () => {
    expect(isEmptySummary(summary({}, { visitors: 9 }))).toBe(true);
    expect(isEmptySummary(summary({ events: 1 }, {}))).toBe(false);
  });
});

describe('breakdown rows', () => {
  it('ranks custom events by events and everything else by visitors', () => {
    expect(rankMetric('event')).toBe('events');
    expect(rankMetric('page')).toBe('visitors');
  });

  it('scales bars to the top row and shows pageviews beside visitors', () => {
    const data = [row('/', 8, 20), row('/pricing', 2, 3)];
    const rows = barRows('page', data, breakdownColumns('page', data));
    expect(rows).toEqual([
      { value: '/', count: 8, fraction: 1, figures: [8, 20] },
      { value: '/pricing', count: 2, fraction: 0.25, figures: [2, 3] },
    ]);
  });

  it('reads null metrics as zero-width bars', () => {
    const data = [row('signup', 3, null, 4), row('x', null, null, null)];
    expect(barRows('event', data, breakdownColumns('event', data)).map((r) => [r.count, r.fraction, r.figures])).toEqual([
      [4, 1, [4, 3]],
      [0, 0, [null, null]],
    ]);
  });

  it('gives goals uniques, totals and conversion rate, properties visitors and events', () => {
    const goal = { ...row('Signup', 12, null, 15), conversion_rate: 8.3 };
    expect(breakdownColumns('goal', [goal]).map((c) => c.label)).toEqual(['Uniques', 'Total', 'CR']);
    expect(barRows('goal', [goal], breakdownColumns('goal', [goal]))[0]?.figures).toEqual([12, 15, 8.3]);
    expect(breakdownColumns('props:plan', []).map((c) => c.key)).toEqual(['visitors', 'events']);
  });

  it('shows time on page and scroll depth only when the API sends them', () => {
    expect(breakdownColumns('page', [row('/', 1, 1)]).map((c) => c.key)).toEqual(['visitors', 'pageviews']);
    const engaged = { ...row('/', 1, 1), time_on_page: 42, scroll_depth: null };
    expect(breakdownColumns('page', [engaged]).map((c) => c.key)).toEqual(['visitors', 'pageviews', 'time_on_page']);
    // Not for other dimensions, whatever they carry.
    expect(breakdownColumns('source', [engaged]).map((c) => c.key)).toEqual(['visitors', 'pageviews']);
  });

  it('appends a further page without repeating a row that moved between pages', () => {
    const merged = appendPage([row('/a', 3, 3), row('/b', 2, 2)], [row('/b', 2, 2), row('/c', 1, 1)]);
    expect(merged.map((r) => r.value)).toEqual(['/a', '/b', '/c']);
  });

  it('names countries in the reader’s language and leaves other values alone', () => {
    expect(displayValue('country', 'DE', 'en')).toBe('Germany');
    expect(displayValue('country', 'DE', 'de')).toBe('Deutschland');
    expect(displayValue('country', '(none)', 'en')).toBe('(none)');
    expect(displayValue('page', 'DE', 'en')).toBe('DE');
  });
});

describe('chipOf', () => {
  it('reads a filter as words, with country names and property keys', () => {
    expect(chipOf({ key: 'country', op: '==', values: ['DE', 'FR'] }, 'en')).toEqual({
      key: 'Country',
      op: 'is',
      values: 'Germany or France',
    });
    expect(chipOf({ key: 'props:plan', op: '!=', values: ['pro'] }, 'en')).toEqual({ key: 'Property plan', op: 'is not', values: 'pro' });
    expect(chipOf({ key: 'goal', op: '==', values: ['Signup'] }, 'en').key).toBe('Goal');
    expect(chipOf({ key: 'page', op: '~', values: ['/blog'] }, 'en').op).toBe('contains');
  });
});
