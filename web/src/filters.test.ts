import { parseFilters, serializeFilters, withFilter, withoutFilter, withToggledOp, type Filter } from './filters';

describe('parseFilters / serializeFilters', () => {
  it.each<[string, Filter[]]>([
    ['', []],
    ['country==DE', [{ key: 'country', op: '==', values: ['DE'] }]],
    [
      'country==DE|FR;page~/blog',
      [
        { key: 'country', op: '==', values: ['DE', 'FR'] },
        { key: 'page', op: '~', values: ['/blog'] },
      ],
    ],
    ['source!=Google', [{ key: 'source', op: '!=', values: ['Google'] }]],
    ['props:plan==pro', [{ key: 'props:plan', op: '==', values: ['pro'] }]],
    ['goal==Visit /pricing*', [{ key: 'goal', op: '==', values: ['Visit /pricing*'] }]],
    ['utm_term==a', [{ key: 'utm_term', op: '==', values: ['a'] }]],
    // Escaped separators are part of the value; the first operator splits key and values.
    ['page==/a\\|b\\;c|/d', [{ key: 'page', op: '==', values: ['/a|b;c', '/d'] }]],
    ['page==/x==y', [{ key: 'page', op: '==', values: ['/x==y'] }]],
    ['props:<b>x</b>==<img src=x>', [{ key: 'props:<b>x</b>', op: '==', values: ['<img src=x>'] }]],
  ])('%j', (text, filters) => {
    expect(parseFilters(text)).toEqual(filters);
    expect(parseFilters(serializeFilters(filters))).toEqual(filters);
  });

  it('drops what it cannot show: unknown dimensions, no operator, no value, bare props:', () => {
    expect(parseFilters('planet==Mars;country;page==;props:==x;country==DE')).toEqual([{ key: 'country', op: '==', values: ['DE'] }]);
  });

  it('escapes separators and backslashes when writing', () => {
    expect(serializeFilters([{ key: 'page', op: '==', values: ['/a|b;c\\d'] }])).toBe('page==/a\\|b\\;c\\\\d');
    expect(parseFilters('page==/a\\|b\\;c\\\\d')).toEqual([{ key: 'page', op: '==', values: ['/a|b;c\\d'] }]);
  });
});

describe('chip changes', () => {
  const two: Filter[] = [
    { key: 'country', op: '==', values: ['DE'] },
    { key: 'source', op: '~', values: ['oo'] },
  ];

  it('a row click replaces the condition on its key and keeps the others', () => {
    expect(withFilter(two, 'country', 'FR')).toEqual([two[1], { key: 'country', op: '==', values: ['FR'] }]);
    expect(withFilter([], 'props:plan', '(none)')).toEqual([{ key: 'props:plan', op: '==', values: ['(none)'] }]);
  });

  it('removes by position and switches is / is not', () => {
    expect(withoutFilter(two, 0)).toEqual([two[1]]);
    expect(withToggledOp(two, 0)[0]?.op).toBe('!=');
    expect(withToggledOp(withToggledOp(two, 0), 0)[0]?.op).toBe('==');
    expect(withToggledOp(two, 1)[1]?.op).toBe('!=');
    expect(withToggledOp(two, 1)[0]).toBe(two[0]);
  });
});
