/**
 * Event type names and topics: the one place they are written down.
 * Types are versioned reverse-DNS names (CloudEvents 1.0 §3.1.1 "type").
 */
export const EVENT_TYPES = {
  raw: 'io.webtrafficmonitor.traffic.raw.v1',
  enriched: 'io.webtrafficmonitor.traffic.enriched.v1',
  rejected: 'io.webtrafficmonitor.traffic.rejected.v1',
} as const;

export type EventKind = keyof typeof EVENT_TYPES;
export type EventType = (typeof EVENT_TYPES)[EventKind];

/** Kafka topics, one per event type. Tests and side-by-side deployments use another prefix. */
export interface Topics {
  raw: string;
  enriched: string;
  rejected: string;
}

export function topicNames(prefix = 'wtm'): Topics {
  return { raw: `${prefix}.traffic.raw`, enriched: `${prefix}.traffic.enriched`, rejected: `${prefix}.traffic.rejected` };
}

export const TOPICS: Readonly<Topics> = Object.freeze(topicNames('wtm'));

/** A topic prefix: lower-case letters, digits, dots, dashes and underscores. */
export const TOPIC_PREFIX_PATTERN = /^[a-z0-9][a-z0-9._-]{0,100}$/;

/** CloudEvents `source` of the events each stage produces. */
export const SOURCES = {
  generate: '/wtm/generate',
  tracker: '/wtm/tracker',
  enrich: '/wtm/enrich',
  aggregate: '/wtm/aggregate',
} as const;

export { LIMITS } from './limits';
