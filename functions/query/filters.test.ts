import { FilterError, MAX_FILTER_CONDITIONS, formatFilters, parseFilters } from './filters';

describe('parseFilters', () => {
  it.each([
    ['country==DE', [{ name: 'country', subject: { kind: 'visit', dimension: 'country' }, operator: '==', values: ['DE'] }]],
    ['country==DE|FR', [{ name: 'country', subject: { kind: 'visit', dimension: 'country' }, operator: '==', values: ['DE', 'FR'] }]],
    ['page~/blog', [{ name: 'page', subject: { kind: 'page' }, operator: '~', values: ['/blog'] }]],
    ['source!=Google', [{ name: 'source', subject: { kind: 'visit', dimension: 'source' }, operator: '!=', values: ['Google'] }]],
    ['props:plan==pro', [{ name: 'props:plan', subject: { kind: 'prop', key: 'plan' }, operator: '==', values: ['pro'] }]],
    ['goal==Signup', [{ name: 'goal', subject: { kind: 'goal' }, operator: '==', values: ['Signup'] }]],
    ['event==signup', [{ name: 'event', subject: { kind: 'event' }, operator: '==', values: ['signup'] }]],
    ['utm_term==(none)', [{ name: 'utm_term', subject: { kind: 'visit', dimension: 'utm_term' }, operator: '==', values: [''] }]],
    // escapes: a literal | and ; inside values, and a value that itself contains == or ~
    ['page==/a\\|b|/c\\;d', [{ name: 'page', subject: { kind: 'page' }, operator: '==', values: ['/a|b', '/c;d'] }]],
    ['page==/x==y~z', [{ name: 'page', subject: { kind: 'page' }, operator: '==', values: ['/x==y~z'] }]],
    ['page==/a\\\\', [{ name: 'page', subject: { kind: 'page' }, operator: '==', values: ['/a\\'] }]],
  ])('%s', (raw, expected) => {
    expect(parseFilters(raw)).toEqual(expected);
  });

  it('parses AND of conditions in order', () => {
    const f = parseFilters('country==DE;source==Google;page~/blog');
    expect(f.map((c) => `${c.name}${c.operator}${c.values.join('|')}`)).toEqual(['country==DE', 'source==Google', 'page~/blog']);
  });

  it('round-trips through formatFilters', () => {
    for (const raw of ['country==DE|FR;page~/a\\|b', 'props:plan!=(none)|pro', 'goal==Visit /pricing*;utm_source==a\\;b']) {
      expect(parseFilters(formatFilters(parseFilters(raw)))).toEqual(parseFilters(raw));
    }
  });

  it.each([
    ['', /condition 1 is empty/],
    ['country==DE;', /condition 2 is empty/],
    ['country=DE', /condition 1: no operator/],
    ['country>=DE', /condition 1: no operator/],
    ['country===DE', /condition 1 \(country\): unknown operator/],
    ['colour==red', /condition 1: unknown dimension/],
    ['props:==x', /props:<key> needs a key/],
    ['country==', /condition 1 \(country\): empty value/],
    ['country==DE||FR', /empty value/],
    ['page~(none)', /cannot take \(none\)/],
    ['page==a\u0000b', /control characters/],
    [`page==${'x'.repeat(2001)}`, /at most 2000 characters/],
    [Array.from({ length: MAX_FILTER_CONDITIONS + 1 }, () => 'country==DE').join(';'), /at most 10 conditions/],
    [Array.from({ length: 10_000 }, () => 'country==DE').join(';'), /at most 10 conditions.*got 10000/],
  ])('refuses a bad filter naming the problem (#%#)', (raw, message) => {
    expect(() => parseFilters(raw)).toThrow(FilterError);
    expect(() => parseFilters(raw)).toThrow(message);
  });

  it('never echoes an unknown dimension or a value in its message', () => {
    const hostile = "x' OR 1=1 --<script>";
    for (const raw of [`${hostile}==a`, `country===${hostile}`, `country==${hostile.repeat(200)}`]) {
      try {
        parseFilters(raw);
        throw new Error('parsed');
      } catch (e) {
        expect(e).toBeInstanceOf(FilterError);
        expect((e as Error).message).not.toContain('<script>');
        expect((e as Error).message).not.toContain("'");
      }
    }
  });

  it('keeps an injection attempt as a plain value (bound later, never SQL)', () => {
    expect(parseFilters("country==DE' OR '1'='1")[0]!.values).toEqual(["DE' OR '1'='1"]);
  });
});
