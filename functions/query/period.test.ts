import { DAY_MS, HOUR_MS } from '../lib/time';
import { bucketStarts, checkDateRange, formatLocal, parseLocalDate, resolvePeriod, type PeriodInput } from './period';

const at = (iso: string) => Date.parse(iso);
const show = (r: { from: number; to: number }) => `${formatLocal(r.from)} → ${formatLocal(r.to)}`;

describe('resolvePeriod', () => {
  // [zone, now (UTC), input, current range, previous range, grain]
  const cases: [string, string, PeriodInput, string, string, 'd' | 'h'][] = [
    // +05:30: 20:00 UTC is already 01:30 the next day in Kolkata.
    [
      'Asia/Kolkata',
      '2026-03-10T20:00:00Z',
      { period: 'today' },
      '2026-03-11T00:00:00 → 2026-03-12T00:00:00',
      '2026-03-10T00:00:00 → 2026-03-11T00:00:00',
      'd',
    ],
    [
      'Asia/Kolkata',
      '2026-03-10T20:00:00Z',
      { period: '7d' },
      '2026-03-05T00:00:00 → 2026-03-12T00:00:00',
      '2026-02-26T00:00:00 → 2026-03-05T00:00:00',
      'd',
    ],
    [
      'Asia/Kolkata',
      '2026-03-10T20:00:00Z',
      { period: '24h' },
      '2026-03-10T02:00:00 → 2026-03-11T02:00:00',
      '2026-03-09T02:00:00 → 2026-03-10T02:00:00',
      'h',
    ],
    [
      'Asia/Kolkata',
      '2026-03-10T20:00:00Z',
      { period: '12mo' },
      '2025-04-01T00:00:00 → 2026-03-12T00:00:00',
      '2024-04-21T00:00:00 → 2025-04-01T00:00:00',
      'd',
    ],
    [
      'UTC',
      '2026-03-10T20:00:00Z',
      { period: 'today' },
      '2026-03-10T00:00:00 → 2026-03-11T00:00:00',
      '2026-03-09T00:00:00 → 2026-03-10T00:00:00',
      'd',
    ],
    [
      'UTC',
      '2026-03-10T20:00:00Z',
      { period: '30d' },
      '2026-02-09T00:00:00 → 2026-03-11T00:00:00',
      '2026-01-10T00:00:00 → 2026-02-09T00:00:00',
      'd',
    ],
    [
      'UTC',
      '2026-03-10T20:00:00Z',
      { period: '90d' },
      '2025-12-11T00:00:00 → 2026-03-11T00:00:00',
      '2025-09-12T00:00:00 → 2025-12-11T00:00:00',
      'd',
    ],
    // Behind UTC: New Year in UTC is still New Year's Eve in Los Angeles. 2024 is a leap year, so the
    // previous 365 days start on 2024-01-02.
    [
      'America/Los_Angeles',
      '2026-01-01T00:00:00Z',
      { period: 'today' },
      '2025-12-31T00:00:00 → 2026-01-01T00:00:00',
      '2025-12-30T00:00:00 → 2025-12-31T00:00:00',
      'd',
    ],
    [
      'America/Los_Angeles',
      '2026-01-01T00:00:00Z',
      { period: '12mo' },
      '2025-01-01T00:00:00 → 2026-01-01T00:00:00',
      '2024-01-02T00:00:00 → 2025-01-01T00:00:00',
      'd',
    ],
    // Berlin springs forward on 2026-03-29 (02:00 → 03:00): the day is still one local day.
    [
      'Europe/Berlin',
      '2026-03-29T12:00:00Z',
      { period: 'today' },
      '2026-03-29T00:00:00 → 2026-03-30T00:00:00',
      '2026-03-28T00:00:00 → 2026-03-29T00:00:00',
      'd',
    ],
    [
      'Europe/Berlin',
      '2026-03-29T12:00:00Z',
      { period: '24h' },
      '2026-03-28T15:00:00 → 2026-03-29T15:00:00',
      '2026-03-27T15:00:00 → 2026-03-28T15:00:00',
      'h',
    ],
    // New York falls back on 2026-11-01 at 06:00 UTC; 04:30 UTC is 00:30 EDT.
    [
      'America/New_York',
      '2026-11-01T04:30:00Z',
      { period: 'today' },
      '2026-11-01T00:00:00 → 2026-11-02T00:00:00',
      '2026-10-31T00:00:00 → 2026-11-01T00:00:00',
      'd',
    ],
    [
      'America/New_York',
      '2026-11-01T07:30:00Z',
      { period: '24h' },
      '2026-10-31T03:00:00 → 2026-11-01T03:00:00',
      '2026-10-30T03:00:00 → 2026-10-31T03:00:00',
      'h',
    ],
    // from/to are inclusive local dates; the previous range has as many days.
    [
      'Asia/Kolkata',
      '2026-03-10T20:00:00Z',
      { from: '2026-02-27', to: '2026-03-01' },
      '2026-02-27T00:00:00 → 2026-03-02T00:00:00',
      '2026-02-24T00:00:00 → 2026-02-27T00:00:00',
      'd',
    ],
  ];
  it.each(cases)('%s at %s, %j', (zone, now, input, current, previous, grain) => {
    const p = resolvePeriod(input, at(now), zone);
    expect(show(p.current)).toBe(current);
    expect(show(p.previous)).toBe(previous);
    expect(p.current.grain).toBe(grain);
    expect(p.previous.to).toBe(p.current.from);
    expect(p.previous.to - p.previous.from).toBe(p.current.to - p.current.from);
  });

  it('marks from/to ranges closed only once the site-local day after them has begun', () => {
    // 2026-03-10T20:00Z: Kolkata is on the 11th, UTC still on the 10th.
    const input = { from: '2026-03-01', to: '2026-03-10' };
    expect(resolvePeriod(input, at('2026-03-10T20:00:00Z'), 'Asia/Kolkata').closed).toBe(true);
    expect(resolvePeriod(input, at('2026-03-10T20:00:00Z'), 'UTC').closed).toBe(false);
    expect(resolvePeriod({ period: '7d' }, at('2026-03-10T20:00:00Z'), 'UTC').closed).toBe(false);
  });

  it('gives 24 hourly buckets for 24h and 7 daily ones for 7d', () => {
    const h = resolvePeriod({ period: '24h' }, at('2026-03-10T20:17:00Z'), 'Asia/Kolkata').current;
    expect(bucketStarts(h.from, h.to, HOUR_MS)).toHaveLength(24);
    const d = resolvePeriod({ period: '7d' }, at('2026-03-10T20:17:00Z'), 'Asia/Kolkata').current;
    expect(bucketStarts(d.from, d.to, DAY_MS).map(formatLocal)[6]).toBe('2026-03-11T00:00:00');
  });
});

describe('dates', () => {
  it.each([
    ['2026-02-28', true],
    ['2024-02-29', true],
    ['2026-02-29', false],
    ['2026-02-30', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['1999-12-31', false],
    ['2100-01-01', false],
    ['2026-1-01', false],
    ['2026-01-01T00:00', false],
    ['20260101', false],
    ['', false],
  ])('%s is a date: %s', (s, ok) => {
    expect(parseLocalDate(s) !== undefined).toBe(ok);
  });

  it.each([
    ['2024-01-01', '2024-12-31', undefined],
    ['2026-01-01', '2026-01-01', undefined],
    ['2025-01-01', '2026-01-02', 'to'],
    ['2026-03-02', '2026-03-01', 'from'],
    ['2026-02-30', '2026-03-01', 'from'],
    ['2026-03-01', 'tomorrow', 'to'],
  ])('%s..%s → problem with %s', (from, to, param) => {
    expect(checkDateRange(from, to)?.param).toBe(param);
  });
});
