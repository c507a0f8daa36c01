/**
 * One error type for bad input. It carries every problem found, and a machine-readable
 * reason from a closed set, so an adapter can map it to "rejected topic + 2xx" or "HTTP 400".
 */

/** Why an event was rejected: a closed set shared by enrich, aggregate and the rejected topic. */
export const REJECT_REASONS = [
  'invalid_json',
  'invalid_content_type',
  'invalid_cloudevent',
  'unknown_type',
  'invalid_data',
  'payload_too_large',
  'timestamp_out_of_range',
  'unknown_site',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Problem {
  /** Where: an attribute name (`ce_id`), a data path (`data.url`) or `body`. */
  path: string;
  message: string;
}

export class EventFormatError extends Error {
  override readonly name = 'EventFormatError';
  constructor(
    readonly reason: RejectReason,
    readonly problems: readonly Problem[],
  ) {
    super(`${reason}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

export function isEventFormatError(e: unknown): e is EventFormatError {
  return e instanceof EventFormatError;
}
