/**
 * A visit as the ground truth derives it with its own implementation of the 30-minute rule (never the
 * aggregate's code). Filtered truths (filters, goals, properties) are computed from these.
 */
import type { SessionDimension } from '../../events/vocabulary';

export interface TruthEvent {
  kind: 'pageview' | 'event';
  /** Custom event name; '' for pageviews. */
  name: string;
  /** The page path as enrich names it. */
  path: string;
  /** Epoch ms (UTC). */
  ts: number;
  /** Custom properties as strings (numbers and booleans stringified); {} for pageviews. */
  props: Record<string, string>;
}

/** The visit dimensions a filter can name: the session dimensions plus utm_content and utm_term. */
export type TruthVisitDimension = SessionDimension | 'utm_content' | 'utm_term';

export interface TruthVisit {
  site: string;
  /** Site-local date (YYYY-MM-DD) of the visit's first event: the visit's day. */
  day: string;
  /** The person-day of the visit's first event (distinct per person and site-local day). */
  visitor: string;
  dims: Record<TruthVisitDimension, string>;
  /** Non-bot pageviews and custom events of the visit in time order (engagement events are not part of visits). */
  events: TruthEvent[];
  start: number;
  end: number;
}
