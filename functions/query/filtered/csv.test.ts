import { csvField, parseCsv, toCsv } from './csv';

describe('CSV', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+1', "'+1"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['/page-with-dash', '/page-with-dash'],
  ])('writes %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes numbers as they are and null as empty', () => {
    expect([csvField(12.5), csvField(0), csvField(null)]).toEqual(['12.5', '0', '']);
  });

  it('round-trips rows with CRLF line ends (the guard stays: it is part of the text)', () => {
    const rows = [
      ['a,b', 'x "y"\nz', 3],
      ['', '=1', null],
    ];
    const text = toCsv(['name', 'value', 'n'], rows);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([
      ['name', 'value', 'n'],
      ['a,b', 'x "y"\nz', '3'],
      ['', "'=1", ''],
    ]);
  });
});
