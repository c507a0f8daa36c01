/**
 * Filters as the dashboard holds them and as the API and the URL spell them: Plausible's v1 syntax
 * (`country==DE|FR;page~/blog`: `;` between conditions (AND), `==` is, `!=` is not, `~` contains, `|`
 * between alternatives (OR), a literal `|` or `;` in a value written `\|` / `\;`). Pure, so the chips,
 * the row clicks and the address bar share one set of tested rules.
 */
import { FILTER_DIMENSIONS, PROPS_PREFIX, type FilterDimension } from '../../events/vocabulary';
import type { FilterOperator } from '../../functions/query/shape';

/** The API's operators: the server's own type, so a new one there fails OP_LABELS below until it is named. */
export type FilterOp = FilterOperator;
export const FILTER_OPS = ['==', '!=', '~'] as const satisfies readonly FilterOp[];

/** What a condition may name: a filter dimension, a goal's name, or a custom property. */
export type FilterKey = FilterDimension | 'goal' | `${typeof PROPS_PREFIX}${string}`;

export interface Filter {
  key: FilterKey;
  op: FilterOp;
  /** Alternatives (OR); never empty. */
  values: string[];
}

export function isFilterKey(s: string): s is FilterKey {
  return (
    (FILTER_DIMENSIONS as readonly string[]).includes(s) || s === 'goal' || (s.startsWith(PROPS_PREFIX) && s.length > PROPS_PREFIX.length)
  );
}

/** Splits on `sep` where it is not escaped with a backslash; the pieces keep their escapes. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const unescapeValue = (s: string) => s.replace(/\\([|;\\])/g, '$1');
const escapeValue = (s: string) => s.replace(/[\\|;]/g, (c) => `\\${c}`);

/**
 * Reads a filters string (from the URL or a `filters` attribute). Conditions the dashboard cannot
 * show as chips (unknown dimension, no operator, no value) are dropped rather than sent: a stale or
 * hand-edited link still opens the dashboard. The API validates what is sent again.
 */
export function parseFilters(s: string): Filter[] {
  const out: Filter[] = [];
  if (s.trim() === '') return out;
  for (const cond of splitUnescaped(s, ';')) {
    // The first operator wins; `!=` and `==` before `~` so `a!=b~c` is "is not b~c".
    const m = /^(.+?)(==|!=|~)(.*)$/s.exec(cond);
    if (m === null) continue;
    const [, key = '', op = '', rest = ''] = m;
    if (!isFilterKey(key.trim()) || !(FILTER_OPS as readonly string[]).includes(op)) continue;
    const values = splitUnescaped(rest, '|')
      .map(unescapeValue)
      .filter((v) => v !== '');
    if (values.length === 0) continue;
    out.push({ key: key.trim() as FilterKey, op: op as FilterOp, values });
  }
  return out;
}

export function serializeFilters(filters: readonly Filter[]): string {
  return filters.map((f) => `${f.key}${f.op}${f.values.map(escapeValue).join('|')}`).join(';');
}

/**
 * A click on a breakdown row: "key is value". It replaces any condition on the same key, so clicking
 * Germany then France shows France (as Plausible does); other keys stay (AND).
 */
export function withFilter(filters: readonly Filter[], key: FilterKey, value: string): Filter[] {
  return [...filters.filter((f) => f.key !== key), { key, op: '==', values: [value] }];
}

export function withoutFilter(filters: readonly Filter[], index: number): Filter[] {
  return filters.filter((_, i) => i !== index);
}

/** Switches a chip between "is" and "is not" (a "contains" chip becomes "is not"). */
export function withToggledOp(filters: readonly Filter[], index: number): Filter[] {
  return filters.map((f, i) => (i === index ? { ...f, op: f.op === '!=' ? '==' : '!=' } : f));
}

export const OP_LABELS: Record<FilterOp, string> = { '==': 'is', '!=': 'is not', '~': 'contains' };

/** The key of a goal or property condition is shown by its name. */
export function filterKeyLabel(key: FilterKey, dimensionLabel: (d: FilterDimension) => string): string {
  if (key === 'goal') return 'Goal';
  if (key.startsWith(PROPS_PREFIX)) return `Property ${key.slice(PROPS_PREFIX.length)}`;
  return dimensionLabel(key as FilterDimension);
}
