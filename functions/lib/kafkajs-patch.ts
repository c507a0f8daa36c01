/**
 * A fix for kafkajs 2.2.4 (the last release), applied once when functions/lib/kafka.ts is loaded.
 *
 * `RequestQueue#scheduleCheckPendingRequests` computes `this.throttledUntil - Date.now()` and passes it
 * to setTimeout even when nothing is pending and nothing is throttled: `throttledUntil` starts at -1,
 * so the delay is minus the current epoch (`TimeoutNegativeWarning: -1796146714283 is a negative
 * number` on Node 24), Node turns it into 1 ms, and the check reschedules itself every millisecond
 * for the life of every broker connection (kafkajs issues #1751 and #1704, unmerged PRs #1755/#1768).
 * Here a check is scheduled only when a request is pending (after the throttle, else in 10 ms as
 * kafkajs does) or a throttle is running; with an empty queue there is nothing to check, and the
 * next `push` schedules again.
 */
import { createRequire } from 'node:module';

/** kafkajs's own interval for re-checking pending requests (`CHECK_PENDING_REQUESTS_INTERVAL`). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueLike {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
}

/** The delay of the next pending-request check, or undefined when none is needed. */
export function pendingCheckDelay(throttledUntil: number, pending: number, now: number): number | undefined {
  const untilUnthrottled = throttledUntil - now;
  if (untilUnthrottled > 0) return untilUnthrottled;
  return pending > 0 ? CHECK_PENDING_REQUESTS_INTERVAL_MS : undefined;
}

export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  const delay = pendingCheckDelay(this.throttledUntil, this.pending.length, Date.now());
  if (delay === undefined) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

/** Replaces the method on kafkajs's RequestQueue; true when it was found and patched. */
export function patchKafkajsRequestQueue(): boolean {
  const load = createRequire(__filename);
  const RequestQueue: unknown = load('kafkajs/src/network/requestQueue');
  if (typeof RequestQueue !== 'function') return false;
  const proto = (RequestQueue as { prototype: Record<string, unknown> }).prototype;
  if (typeof proto.scheduleCheckPendingRequests !== 'function') return false;
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}
