/** Planning period rows: which closed months and weeks a range covers, falling back to days, and when a period row is current. */
import { ROLLUP_COUNTERS, type Counters } from '../../events/vocabulary';
import { periodKey, planRange, validPeriods, weekStart, withoutPeriods, type Period } from './months';

const d = (s: string) => Date.parse(`${s}T00:00:00Z`);
const zero = (): Counters => Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, 0])) as Counters;
const month = (s: string, e: string): Period => ({ grain: 'c', start: d(s), end: d(e) });
const week = (s: string): Period => ({ grain: 'w', start: d(s), end: d(s) + 7 * 86_400_000 });

describe('planRange', () => {
  it('12mo on Tuesday 10 March 2026: eleven closed months, the closed week of March, the other days', () => {
    const p = planRange(d('2025-04-01'), d('2026-03-11'), d('2026-03-10'));
    expect(p.periods.filter((x) => x.grain === 'c')).toHaveLength(11);
    expect(p.periods[0]).toEqual(month('2025-04-01', '2025-05-01'));
    expect(p.periods.at(-1)).toEqual(week('2026-03-02'));
    expect(p.days).toEqual([
      [d('2026-03-01'), d('2026-03-02')],
      [d('2026-03-09'), d('2026-03-11')],
    ]);
  });
  it('30d: four closed weeks (Monday to Sunday) and the days of the current week', () => {
    const p = planRange(d('2026-02-09'), d('2026-03-11'), d('2026-03-10'));
    expect(p.periods).toEqual([week('2026-02-09'), week('2026-02-16'), week('2026-02-23'), week('2026-03-02')]);
    expect(p.days).toEqual([[d('2026-03-09'), d('2026-03-11')]]);
  });
  it('never uses a period that is not over yet, nor one the range only partly covers', () => {
    expect(planRange(d('2026-03-04'), d('2026-03-11'), d('2026-03-10'))).toEqual({
      periods: [],
      days: [[d('2026-03-04'), d('2026-03-11')]],
    });
    expect(planRange(d('2026-03-01'), d('2026-04-01'), d('2026-03-10')).periods).toEqual([week('2026-03-02')]);
  });
  it('weeks start on Monday', () => {
    expect(weekStart(d('2026-03-08'))).toBe(d('2026-03-02')); // a Sunday
    expect(weekStart(d('2026-03-09'))).toBe(d('2026-03-09'));
  });
});

describe('withoutPeriods', () => {
  it('reads dropped periods as days and merges adjacent ranges', () => {
    const p = planRange(d('2026-02-09'), d('2026-03-11'), d('2026-03-10'));
    expect(withoutPeriods(p, new Set([periodKey(week('2026-03-02'))]))).toEqual({
      periods: [week('2026-02-09'), week('2026-02-16'), week('2026-02-23')],
      days: [[d('2026-03-02'), d('2026-03-11')]],
    });
    expect(withoutPeriods(p, new Set(p.periods.map(periodKey)))).toEqual({ periods: [], days: [[d('2026-02-09'), d('2026-03-11')]] });
  });
});

describe('validPeriods', () => {
  const feb = month('2026-02-01', '2026-03-01');
  const day = (s: string, pageviews: number) => ({ ...zero(), bucket: d(s), pageviews, visitors: 2 });
  const days = [day('2026-02-03', 5), day('2026-02-20', 7), day('2026-03-03', 100)];
  it('trusts a period whose totals equal the sum of its days', () => {
    expect(validPeriods([feb], new Map([[periodKey(feb), { ...zero(), pageviews: 12, visitors: 4 }]]), days)).toEqual(
      new Set([periodKey(feb)]),
    );
  });
  it('distrusts a stale period (a late event changed a day) and one without a row', () => {
    expect(validPeriods([feb], new Map([[periodKey(feb), { ...zero(), pageviews: 11, visitors: 4 }]]), days).size).toBe(0);
    expect(validPeriods([feb], new Map(), days).size).toBe(0);
  });
  it('takes an empty period as it is (no day rows, no period row: nothing to compact, nothing to read)', () => {
    expect(validPeriods([feb], new Map(), [])).toEqual(new Set([periodKey(feb)]));
  });
});
