import { readUrlView, writeUrlView } from './url-state';

describe('url view', () => {
  it('reads period and filters, with defaults when absent', () => {
    expect(readUrlView('?site=a.com&period=30d&filters=country%3D%3DDE%3Bpage~%2Fblog')).toEqual({
      period: '30d',
      filters: 'country==DE;page~/blog',
    });
    expect(readUrlView('')).toEqual({ period: undefined, filters: '' });
  });

  it('writes them back keeping the other parameters, and drops empty filters', () => {
    const s = writeUrlView('?site=a.com&theme=dark&filters=x', { period: '7d', filters: 'country==DE|FR' });
    expect(readUrlView(s)).toEqual({ period: '7d', filters: 'country==DE|FR' });
    expect(new URLSearchParams(s).get('site')).toBe('a.com');
    expect(new URLSearchParams(s).get('theme')).toBe('dark');
    expect(writeUrlView(s, { period: '7d', filters: '' })).toBe('?site=a.com&theme=dark&period=7d');
  });

  it('round-trips values with &, #, + and markup', () => {
    const filters = 'props:note==a&b #c +d <b>x</b>';
    expect(readUrlView(writeUrlView('', { period: '2026-11-01..2026-11-15', filters }))).toEqual({
      period: '2026-11-01..2026-11-15',
      filters,
    });
  });
});
