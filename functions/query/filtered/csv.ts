/**
 * CSV (RFC 4180) for the export, pure. A field with a quote, comma, CR or LF is quoted and its quotes
 * doubled. Text that a spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab or CR; OWASP
 * "CSV Injection") gets a leading apostrophe, so a hostile page path or property value stays text.
 * Numbers are written as they are. Lines end with CRLF.
 */
export type CsvValue = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(v: CsvValue): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const guarded = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

/** Reads CSV written by toCsv back into rows of strings (for tests and tools; undoes quoting, not the guard). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
