/**
 * The `filters` parameter (pure): Plausible's v1 syntax parsed and validated into conditions.
 *
 *   filters=country==DE|FR;page~/blog;props:plan!=free
 *
 * - `;` separates conditions (AND), `|` separates alternatives of one condition (OR).
 * - Operators: `==` is, `!=` is not, `~` contains (case-sensitive, as page paths are).
 * - A literal `|`, `;` or `\` inside a value is written `\|`, `\;`, `\\`; any other `\` is itself.
 * - `(none)` matches the empty value (an absent dimension; for `props:<key>`: an event without the key).
 * - Values arrive URL-decoded once (by the query-string parser); they are never decoded again here.
 *
 * Every problem is a FilterError naming the condition by its position and dimension, never echoing the
 * value (it may be hostile). The SQL for a parsed filter is built in filtered/where.ts with bound values.
 */
import { FILTER_DIMENSIONS, PROPS_PREFIX, SESSION_DIMENSIONS, type FilterDimension } from '../../events/vocabulary';
import { LIMITS } from '../../events/limits';

/** Visit dimensions a filter can name: the session dimensions plus utm_content and utm_term. */
export const VISIT_FILTER_DIMENSIONS = [...SESSION_DIMENSIONS, 'utm_content', 'utm_term'] as const;
export type VisitFilterDimension = (typeof VISIT_FILTER_DIMENSIONS)[number];

/** Every name a filter may use: the filter dimensions, `goal` and `props:<key>`. */
export const FILTER_NAMES = [...FILTER_DIMENSIONS, 'goal'] as const;

export const FILTER_OPERATORS = ['==', '!=', '~'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export const MAX_FILTER_CONDITIONS = 10;
export const MAX_FILTER_VALUES = 50;
export const MAX_FILTER_VALUE_LENGTH = LIMITS.maxPropValueLength;
/** The longest `filters` parameter the API reads (bounded again by the 4096-character URL limit). */
export const MAX_FILTERS_LENGTH = 4096;

export const NONE = '(none)';

/** What a condition is about: a visit column, an event fact (page / custom event / goal) or a property. */
export type FilterSubject =
  | { kind: 'visit'; dimension: VisitFilterDimension }
  | { kind: 'page' }
  | { kind: 'event' }
  | { kind: 'goal' }
  | { kind: 'prop'; key: string };

export interface FilterCondition {
  subject: FilterSubject;
  operator: FilterOperator;
  /** Alternatives (OR), `(none)` already mapped to ''. At least one. */
  values: string[];
  /** The dimension as written (`country`, `props:plan`), for messages and the export file names. */
  name: string;
}

export type Filters = readonly FilterCondition[];

export class FilterError extends Error {
  override readonly name = 'FilterError';
}

const isVisitDimension = (s: string): s is VisitFilterDimension => (VISIT_FILTER_DIMENSIONS as readonly string[]).includes(s);
const isFilterDimension = (s: string): s is FilterDimension | 'goal' => (FILTER_NAMES as readonly string[]).includes(s);

/** Splits on `sep` where it is not escaped by a backslash; escapes are kept for the next step. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      current += c + s[i + 1]!;
      i++;
    } else if (c === sep) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/** `\|` → `|`, `\;` → `;`, `\\` → `\`; any other backslash stays. */
function unescapeValue(s: string): string {
  return s.replace(/\\([|;\\])/g, '$1');
}

/** The first operator in a condition: its index and which. `!=` and `==` are two characters, `~` one. */
function findOperator(s: string): { at: number; op: FilterOperator } | undefined {
  for (let i = 0; i < s.length; i++) {
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') return { at: i, op: two };
    if (s[i] === '~') return { at: i, op: '~' };
  }
  return undefined;
}

export function subjectOf(name: string): FilterSubject | undefined {
  if (name.startsWith(PROPS_PREFIX)) {
    const key = name.slice(PROPS_PREFIX.length);
    if (key.length === 0 || key.length > LIMITS.maxPropKeyLength) return undefined;
    return { kind: 'prop', key };
  }
  if (!isFilterDimension(name)) return undefined;
  if (isVisitDimension(name)) return { kind: 'visit', dimension: name };
  if (name === 'page') return { kind: 'page' };
  if (name === 'event') return { kind: 'event' };
  if (name === 'goal') return { kind: 'goal' };
  return undefined;
}

/** A short, safe label of a dimension for messages: known names as written, anything else not echoed. */
function label(name: string): string {
  if (subjectOf(name) !== undefined && !name.startsWith(PROPS_PREFIX)) return name;
  if (name.startsWith(PROPS_PREFIX) && /^props:[A-Za-z0-9_.:-]{1,64}$/.test(name)) return name;
  return 'dimension';
}

/**
 * Parses the `filters` parameter (already URL-decoded). Throws FilterError with a message such as
 * `condition 2 (country): unknown operator; use ==, != or ~`.
 */
export function parseFilters(raw: string): FilterCondition[] {
  const parts = splitUnescaped(raw, ';');
  // Count before looking at any condition, so 10,000 conditions cost one split and one answer.
  if (parts.length > MAX_FILTER_CONDITIONS) {
    throw new FilterError(`at most ${MAX_FILTER_CONDITIONS} conditions (joined by ;), got ${parts.length}`);
  }
  if (raw.length > MAX_FILTERS_LENGTH) throw new FilterError(`must be at most ${MAX_FILTERS_LENGTH} characters`);
  return parts.map((part, i) => {
    const where = `condition ${i + 1}`;
    if (part.length === 0) throw new FilterError(`${where} is empty (two ; in a row, or a ; at the end)`);
    const found = findOperator(part);
    if (found === undefined) throw new FilterError(`${where}: no operator; write <dimension>==<value>, != or ~`);
    const name = part.slice(0, found.at);
    const subject = subjectOf(name);
    if (subject === undefined) {
      throw new FilterError(
        name.startsWith(PROPS_PREFIX)
          ? `${where}: props:<key> needs a key of 1 to ${LIMITS.maxPropKeyLength} characters`
          : `${where}: unknown dimension; use one of ${FILTER_NAMES.join(', ')} or props:<key>`,
      );
    }
    const rest = part.slice(found.at + found.op.length);
    const at = `${where} (${label(name)})`;
    // `===`, `!==`: a typo of an operator, not a value starting with `=`.
    if (found.op !== '~' && rest.startsWith('=')) throw new FilterError(`${at}: unknown operator; use ==, != or ~`);
    const values = splitUnescaped(rest, '|').map(unescapeValue);
    if (values.length > MAX_FILTER_VALUES) throw new FilterError(`${at}: at most ${MAX_FILTER_VALUES} values (joined by |)`);
    for (const v of values) {
      if (v.length === 0) throw new FilterError(`${at}: empty value (write (none) for an absent one)`);
      if (v.length > MAX_FILTER_VALUE_LENGTH) throw new FilterError(`${at}: a value may be at most ${MAX_FILTER_VALUE_LENGTH} characters`);
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(v)) throw new FilterError(`${at}: a value must not contain control characters`);
    }
    if (found.op === '~' && values.includes(NONE)) throw new FilterError(`${at}: ~ (contains) cannot take (none)`);
    return { subject, operator: found.op, values: values.map((v) => (v === NONE ? '' : v)), name };
  });
}

/** Writes conditions back in the same syntax (for links and the export's file name); parse(format(f)) = f. */
export function formatFilters(filters: Filters): string {
  const esc = (v: string) => (v === '' ? NONE : v.replace(/[\\|;]/g, (c) => `\\${c}`));
  return filters.map((f) => `${f.name}${f.operator}${f.values.map(esc).join('|')}`).join(';');
}

export const hasGoalFilter = (filters: Filters): boolean => filters.some((f) => f.subject.kind === 'goal');
