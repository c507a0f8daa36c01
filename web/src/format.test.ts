import { changeOf, formatBucket, formatChange, formatDuration, formatMetric, formatNumber, formatPercent } from './format';

describe('numbers', () => {
  it.each([
    [1234, 'en', false, '1,234'],
    [1234, 'de', false, '1.234'],
    [12345, 'en', true, '12.3K'],
    [999, 'en', true, '999'],
    [2.5, 'en', false, '2.5'],
  ])('formatNumber(%d, %s, compact=%s) = %s', (n, locale, compact, expected) => expect(formatNumber(n, locale, compact)).toBe(expected));

  it.each([
    [42.5, 'en', '42.5%'],
    [0, 'en', '0%'],
    [100, 'en', '100%'],
    [42.5, 'de', '42,5\u00a0%'],
  ])('formatPercent(%d, %s) = %j', (p, locale, expected) => expect(formatPercent(p, locale)).toBe(expected));
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [42, '42s'],
    [65, '1m 05s'],
    [3599, '59m 59s'],
    [7380, '2h 03m'],
    [-5, '0s'],
    [59.6, '1m 00s'],
  ])('%d s → %s', (s, expected) => expect(formatDuration(s, 'en')).toBe(expected));
});

describe('formatMetric', () => {
  it('formats each metric in its unit', () => {
    expect(formatMetric('visitors', 1500, 'en')).toBe('1,500');
    expect(formatMetric('bounce_rate', 51.2, 'en')).toBe('51.2%');
    expect(formatMetric('visit_duration', 90, 'en')).toBe('1m 30s');
    expect(formatMetric('views_per_visit', 2, 'en')).toBe('2.00');
  });
});

describe('change vs previous period', () => {
  it.each([
    ['visitors', 120, 100, 20, 'up', true, '+20%'],
    ['visitors', 80, 100, -20, 'down', false, '-20%'],
    ['visitors', 5, 0, null, 'up', true, 'new'],
    ['visitors', 0, 0, 0, 'flat', null, '0%'],
    ['bounce_rate', 40, 50, -10, 'down', true, '-10 pp'],
    ['bounce_rate', 55.4, 50, 5, 'up', false, '+5 pp'],
    ['visit_duration', 30, 60, -50, 'down', false, '-50%'],
    ['views_per_visit', 2.23, 2.24, 0, 'flat', null, '0%'],
  ] as const)('%s %d vs %d', (metric, cur, prev, percent, direction, good, text) => {
    const c = changeOf(metric, cur, prev);
    expect(c).toEqual({ percent, direction, good });
    expect(formatChange(metric, c, 'en')).toBe(text);
  });
});

describe('formatBucket', () => {
  const t = Date.UTC(2026, 10, 28, 13, 0);
  it('shows the wall-clock time whatever the reader’s zone is', () => {
    expect(formatBucket(t, 'hour', 'en-GB')).toBe('13:00');
    expect(formatBucket(t, 'day', 'en-US')).toBe('Nov 28');
    expect(formatBucket(t, 'day', 'de')).toBe('28. Nov.');
  });
  it('long labels add the day or the year', () => {
    expect(formatBucket(t, 'hour', 'en-GB', true)).toBe('28 Nov, 13:00');
    expect(formatBucket(t, 'day', 'en-US', true)).toBe('Sat, Nov 28, 2026');
  });
});
