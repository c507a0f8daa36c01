import { utcDay, utcHour, utcMinute, utcMonth, utcWeek } from 'd3-time';
import { fillBuckets, layoutChart, nearestIndex, niceMax, parseLocal, sparklinePath, timeTickInterval } from './chart-math';

describe('parseLocal', () => {
  it.each([
    ['2026-11-28T13:00:00', Date.UTC(2026, 10, 28, 13)],
    ['2026-11-28T13:05', Date.UTC(2026, 10, 28, 13, 5)],
    ['2026-11-28', Date.UTC(2026, 10, 28)],
  ])('reads %s as wall-clock ms', (s, ms) => expect(parseLocal(s)).toBe(ms));

  it.each(['', 'yesterday', '2026-11-28T13:00:00Z', '2026-11-28T13:00:00+01:00'])('rejects %j', (s) => expect(parseLocal(s)).toBeNaN());
});

describe('fillBuckets', () => {
  const range = { from: '2026-11-28T00:00:00', to: '2026-11-28T04:00:00' };

  it('puts zeros where the API left a bucket out and keeps the values it sent', () => {
    const points = fillBuckets(
      [
        { t: '2026-11-28T00:00:00', visitors: 3 },
        { t: '2026-11-28T02:00:00', visitors: 5 },
      ],
      'visitors',
      'hour',
      range,
    );
    expect(points.map((p) => p.value)).toEqual([3, 0, 5, 0]);
    expect(points[1]?.t).toBe(Date.UTC(2026, 10, 28, 1));
  });

  it('steps days by calendar day across a month end', () => {
    const points = fillBuckets([], 'visitors', 'day', { from: '2026-11-29T00:00:00', to: '2026-12-02T00:00:00' });
    expect(points.map((p) => new Date(p.t).toISOString().slice(0, 10))).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
  });

  it('reads a metric absent from a bucket as zero', () => {
    expect(fillBuckets([{ t: '2026-11-28T00:00:00' }], 'pageviews', 'hour', range)[0]?.value).toBe(0);
  });

  it('falls back to the buckets in order when the range is unusable', () => {
    const points = fillBuckets(
      [
        { t: '2026-11-28T01:00:00', visits: 2 },
        { t: '2026-11-28T00:00:00', visits: 1 },
      ],
      'visits',
      'hour',
      { from: 'x', to: 'y' },
    );
    expect(points.map((p) => p.value)).toEqual([1, 2]);
  });
});

describe('niceMax', () => {
  it.each([
    [[], 1],
    [[0, 0], 1],
    [[3], 3],
    [[7, 2], 8],
    [[93], 100],
    [[1234], 1500],
  ])('%j → %d', (values, expected) => expect(niceMax(values)).toBe(expected));
});

describe('timeTickInterval', () => {
  const H = 3_600_000;
  const D = 24 * H;
  it.each([
    ['minute', 30 * 60_000, 6, utcMinute.every(5)],
    ['minute', 120 * 60_000, 6, utcMinute.every(30)],
    ['hour', 24 * H, 30, utcHour.every(1)],
    ['hour', 24 * H, 8, utcHour.every(3)],
    ['hour', 24 * H, 3, utcHour.every(12)],
    ['day', 7 * D, 8, utcDay],
    ['day', 7 * D, 3, utcDay.every(3)],
    ['day', 30 * D, 8, utcWeek],
    ['day', 365 * D, 12, utcMonth],
  ] as const)('%s over %d ms with %d labels', (interval, span, maxTicks, expected) => {
    const got = timeTickInterval(interval, span, maxTicks);
    // Intervals are compared by what they produce: same ticks over the same span.
    const from = new Date(Date.UTC(2026, 0, 1));
    const to = new Date(from.getTime() + span);
    expect(got.range(from, to).map((d) => d.getTime())).toEqual(expected?.range(from, to).map((d) => d.getTime()));
  });
});

describe('layoutChart', () => {
  const points = [0, 4, 2, 9].map((value, i) => ({ t: Date.UTC(2026, 10, 28, i), value }));

  it('maps the first and last bucket to the plot edges and zero to the bottom', () => {
    const L = layoutChart(points, 'hour', 600, 200);
    expect(L.x(new Date(points[0]!.t))).toBe(L.inner.left);
    expect(L.x(new Date(points[3]!.t))).toBe(L.inner.left + L.inner.width);
    expect(L.y(0)).toBe(L.inner.top + L.inner.height);
    expect(L.y.domain()).toEqual([0, 10]);
    expect(L.line.startsWith('M')).toBe(true);
    expect(L.area.endsWith('Z')).toBe(true);
  });

  it('labels only whole numbers on the y axis and at most one x label per 80 px', () => {
    const L = layoutChart(
      Array.from({ length: 24 }, (_, i) => ({ t: Date.UTC(2026, 10, 28, i), value: i % 3 })),
      'hour',
      400,
      200,
    );
    expect(L.yTicks.every(Number.isInteger)).toBe(true);
    expect(L.xTicks.length).toBeLessThanOrEqual(Math.floor(L.inner.width / 80) + 1);
    expect(L.xTicks.length).toBeGreaterThan(1);
  });

  it('nearestIndex picks the closest bucket to a pixel', () => {
    const L = layoutChart(points, 'hour', 600, 200);
    expect(nearestIndex(points, L.x, L.x(new Date(points[2]!.t)) + 3)).toBe(2);
    expect(nearestIndex([], L.x, 100)).toBe(-1);
  });
});

describe('sparklinePath', () => {
  it('draws a path through every value', () => {
    const s = sparklinePath([0, 1, 2], 80, 20);
    expect(s.line.match(/[ML]/g)).toHaveLength(3);
  });
});
