/** Planning month rows: which closed months a range covers, falling back to days, and when a month row is current. */
import { ROLLUP_COUNTERS, type Counters } from '../../events/vocabulary';
import { planRange, validMonths, withoutMonths } from './months';

const d = (s: string) => Date.parse(`${s}T00:00:00Z`);
const zero = (): Counters => Object.fromEntries(ROLLUP_COUNTERS.map((c) => [c, 0])) as Counters;

describe('planRange', () => {
  it('12mo on 10 March: eleven closed months and the days of March', () => {
    const p = planRange(d('2025-04-01'), d('2026-03-11'), d('2026-03-10'));
    expect(p.months).toHaveLength(11);
    expect([p.months[0], p.months.at(-1)]).toEqual([d('2025-04-01'), d('2026-02-01')]);
    expect(p.days).toEqual([[d('2026-03-01'), d('2026-03-11')]]);
  });
  it('90d: the whole months inside, days on both sides', () => {
    const p = planRange(d('2025-12-11'), d('2026-03-11'), d('2026-03-10'));
    expect(p).toEqual({
      months: [d('2026-01-01'), d('2026-02-01')],
      days: [
        [d('2025-12-11'), d('2026-01-01')],
        [d('2026-03-01'), d('2026-03-11')],
      ],
    });
  });
  it('never uses the current month, nor a month the range only partly covers', () => {
    expect(planRange(d('2026-02-09'), d('2026-03-11'), d('2026-03-10'))).toEqual({
      months: [],
      days: [[d('2026-02-09'), d('2026-03-11')]],
    });
    // A closed range ending on the last day of a month that is not over yet (today inside it) reads days.
    expect(planRange(d('2026-03-01'), d('2026-04-01'), d('2026-03-10')).months).toEqual([]);
  });
});

describe('withoutMonths', () => {
  it('reads dropped months as days and merges adjacent ranges', () => {
    const p = planRange(d('2025-12-11'), d('2026-03-11'), d('2026-03-10'));
    expect(withoutMonths(p, new Set([d('2026-02-01')]))).toEqual({
      months: [d('2026-01-01')],
      days: [
        [d('2025-12-11'), d('2026-01-01')],
        [d('2026-02-01'), d('2026-03-11')],
      ],
    });
    expect(withoutMonths(p, new Set(p.months))).toEqual({ months: [], days: [[d('2025-12-11'), d('2026-03-11')]] });
  });
});

describe('validMonths', () => {
  const feb = d('2026-02-01');
  const day = (s: string, pageviews: number) => ({ ...zero(), bucket: d(s), pageviews, visitors: 2 });
  const days = [day('2026-02-03', 5), day('2026-02-20', 7)];
  it('trusts a month whose totals equal the sum of its days', () => {
    expect(validMonths([feb], new Map([[feb, { ...zero(), pageviews: 12, visitors: 4 }]]), days)).toEqual(new Set([feb]));
  });
  it('distrusts a stale month (a late event changed a day) and a month without a row', () => {
    expect(validMonths([feb], new Map([[feb, { ...zero(), pageviews: 11, visitors: 4 }]]), days).size).toBe(0);
    expect(validMonths([feb], new Map(), days).size).toBe(0);
  });
  it('takes an empty month as it is (no day rows, no month row: nothing to compact, nothing to read)', () => {
    expect(validMonths([feb], new Map(), [])).toEqual(new Set([feb]));
  });
});
