/** Breakdown rows: which metrics a dimension has, and page engagement from the rollup counters. */
import { ZERO_COUNTERS } from './queries/rows';
import { shapeBreakdownRow } from './shape';

const row = (over: Partial<typeof ZERO_COUNTERS>, value = '/a') => ({ ...ZERO_COUNTERS, ...over, value });

describe('shapeBreakdownRow', () => {
  it('gives pages time on page and scroll depth per engaged visitor', () => {
    const r = shapeBreakdownRow(
      'page',
      row({ visitors: 10, pageviews: 14, engaged_ms: 95_000, engaged_visitors: 4, scroll_depth_sum: 250 }),
    );
    expect(r).toEqual({
      value: '/a',
      visitors: 10,
      pageviews: 14,
      visits: null,
      bounce_rate: null,
      visit_duration: null,
      events: null,
      time_on_page: 24, // 95 s / 4 visitors = 23.75 s
      scroll_depth: 63, // 250 / 4 = 62.5 %
    });
  });
  it('answers null, not 0, for a page without engagement data', () => {
    const r = shapeBreakdownRow('page', row({ visitors: 3, pageviews: 3 }));
    expect([r.time_on_page, r.scroll_depth]).toEqual([null, null]);
  });
  it('keeps engagement off the other dimensions, and shows (none) for the empty value', () => {
    const r = shapeBreakdownRow(
      'source',
      row({ visitors: 2, visits: 4, bounces: 1, duration_ms: 8000, pageviews: 9, engaged_visitors: 1 }, ''),
    );
    expect(r).toEqual({
      value: '(none)',
      visitors: 2,
      pageviews: 9,
      visits: 4,
      bounce_rate: 25,
      visit_duration: 2,
      events: null,
      time_on_page: null,
      scroll_depth: null,
    });
    expect(shapeBreakdownRow('event', row({ visitors: 2, events: 5 }, 'signup'))).toMatchObject({
      events: 5,
      pageviews: null,
      time_on_page: null,
    });
  });
});
