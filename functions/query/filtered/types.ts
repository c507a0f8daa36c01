/**
 * Response types of the filtered answers, goals, properties (re-exported by shape.ts, where the web
 * client imports response types from with `import type`).
 */
import type { Metrics } from '../shape';

/** Summary metrics; with a goal filter (`goal==Signup`) also `conversions` and `conversion_rate`. */
export type SummaryMetrics = Metrics & { conversions?: number; conversion_rate?: number };

export interface GoalsResponse {
  site: string;
  goals: ({ id: number; name: string; kind: 'event'; event: string } | { id: number; name: string; kind: 'page'; page: string })[];
}

export interface PropsResponse {
  site: string;
  range: { from: string; to: string };
  keys: { key: string; events: number }[];
}
