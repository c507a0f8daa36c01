/**
 * Parameters of the filtered answers: `filters` (filters.ts) and the fact-only breakdown dimensions
 * (`goal`, `props:<key>`, `utm_content`, `utm_term`); everything else is validated by params.ts, so a
 * filtered request takes exactly the parameters of its unfiltered twin plus `filters`.
 */
import { DIMENSIONS, PROPS_PREFIX } from '../../../events/vocabulary';
import { invalidParameter } from '../errors';
import { FilterError, parseFilters, subjectOf, type FilterCondition } from '../filters';
import type { FactDimension } from './fact-breakdown';

export type BreakdownDimension = { kind: 'goal' } | FactDimension;

/** The parsed `filters` parameter ([] when absent) and the other parameters. */
export function takeFilters(raw: Record<string, string>): { filters: FilterCondition[]; rest: Record<string, string> } {
  const { filters, ...rest } = raw;
  if (filters === undefined) return { filters: [], rest };
  try {
    return { filters: parseFilters(filters), rest };
  } catch (e) {
    if (e instanceof FilterError) throw invalidParameter('filters', e.message);
    throw e;
  }
}

/** Breakdown dimensions only the facts answer (no rollups exist for them). */
export function isFactOnlyDimension(d: string | undefined): boolean {
  return d === 'goal' || d === 'utm_content' || d === 'utm_term' || (d !== undefined && d.startsWith(PROPS_PREFIX));
}

export const BREAKDOWN_DIMENSIONS = [...DIMENSIONS, 'utm_content', 'utm_term', 'goal'] as const;

export function parseBreakdownDimension(d: string | undefined): BreakdownDimension {
  if (d === undefined) throw invalidParameter('dimension', 'is required');
  if (d === 'goal') return { kind: 'goal' };
  const s = (BREAKDOWN_DIMENSIONS as readonly string[]).includes(d) || d.startsWith(PROPS_PREFIX) ? subjectOf(d) : undefined;
  if (s === undefined || s.kind === 'goal') {
    throw invalidParameter('dimension', `must be one of ${BREAKDOWN_DIMENSIONS.join(', ')} or props:<key> (key of 1 to 300 characters)`);
  }
  return s;
}
