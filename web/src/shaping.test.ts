import type { BreakdownRow, SummaryResponse } from './api';
import { appendPage, barRows, displayValue, isEmptySummary, kpisOf, rankMetric } from './shaping';

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
});

describe('kpisOf', () => {
  it('lists the six KPIs in order with their change', () => {
    const k = kpisOf(summary({ visitors: 10, bounce_rate: 40 }, { visitors: 5, bounce_rate: 50 }));
    expect(k.map((x) => x.metric)).toEqual(['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit']);
    expect(k[0]).toMatchObject({ value: 10, previous: 5, change: { percent: 100, good: true } });
    expect(k[3]).toMatchObject({ value: 40, previous: 50, change: { percent: -10, good: true } });
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
    const rows = barRows('page', [row('/', 8, 20), row('/pricing', 2, 3)]);
    expect(rows).toEqual([
      { value: '/', count: 8, fraction: 1, secondary: 20 },
      { value: '/pricing', count: 2, fraction: 0.25, secondary: 3 },
    ]);
  });

  it('reads null metrics as zero-width bars', () => {
    expect(
      barRows('event', [row('signup', 3, null, 4), row('x', null, null, null)]).map((r) => [r.count, r.fraction, r.secondary]),
    ).toEqual([
      [4, 1, 3],
      [0, 0, null],
    ]);
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
