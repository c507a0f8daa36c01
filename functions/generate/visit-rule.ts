/**
 * The ground truth's own implementation of the 30-minute rule (ARCHITECTURE.md "Visits are derived by
 * aggregate"): a visit is a maximal run of one person's pageviews and custom events, in time order, with
 * no gap longer than the window; a gap of exactly the window continues the visit. Deliberately written
 * apart from the aggregate's code (sequential split over a sorted list, where aggregate merges stored
 * visits), so the two can disagree only if one of them is wrong.
 */
import { VISIT_INACTIVITY_MS } from '../../events/vocabulary';

export interface RuleEvent {
  /** Epoch ms. */
  ts: number;
  /** Breaks ties on equal timestamps (the event key, as the pipeline orders them). */
  key: string;
}

/** Time order, ties by key: the order in which the rule reads one person's events. */
export const byTimeThenKey = (a: RuleEvent, b: RuleEvent): number => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Splits one person's events (any order) into visits, each in time order, the visits in time order. */
export function splitIntoVisits<T extends RuleEvent>(events: readonly T[], windowMs: number = VISIT_INACTIVITY_MS): T[][] {
  const sorted = [...events].sort(byTimeThenKey);
  const visits: T[][] = [];
  let current: T[] = [];
  for (const e of sorted) {
    const prev = current[current.length - 1];
    if (prev !== undefined && e.ts - prev.ts > windowMs) {
      visits.push(current);
      current = [];
    }
    current.push(e);
  }
  if (current.length > 0) visits.push(current);
  return visits;
}
