/**
 * Transient failures (a dependency is down, a deadlock, a timeout) are retried: adapters answer 5xx
 * or throw so Kafka/KafkaSource redeliver. Permanent problems with an event are EventFormatError
 * (events/errors.ts) and go to the rejected topic. This is the one place that tells them apart.
 */
import { isEventFormatError } from '../../events';

export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type FailureKind = 'permanent' | 'transient';

/** Anything that is not a known permanent input problem is treated as transient: retried, never dropped. */
export function classifyFailure(e: unknown): FailureKind {
  return isEventFormatError(e) ? 'permanent' : 'transient';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
