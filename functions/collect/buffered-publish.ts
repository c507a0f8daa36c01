/**
 * The `buffered` acknowledgement mode of collect (WTM_COLLECT_ACK=buffered): a request is answered 202
 * as soon as its events are in a bounded in-memory buffer, which one pump publishes in batches (as
 * Plausible buffers its writes). A failed batch stays at the head of the buffer and is retried with
 * backoff, so a short Kafka outage loses nothing; when the buffer is full, requests are refused (503).
 *
 * What it trades: with `kafka` (the default) 202 means "Kafka has it"; here it means "this process has
 * it", so a crash (SIGKILL, OOM) loses what is buffered — at most `maxEvents`. SIGTERM flushes first.
 */
import type { CloudEvent, RawTraffic } from '../../events';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';

export interface BufferedPublish {
  /** Takes the events into the buffer, or returns false when they do not fit (answer 503). */
  offer(events: readonly CloudEvent<RawTraffic>[]): boolean;
  /** Events waiting to be published. */
  size(): number;
  /** Publishes what is buffered (retrying) for at most `timeoutMs`; resolves with what is left. */
  flush(timeoutMs: number): Promise<number>;
}

export function createBufferedPublish(opts: {
  publish: (events: readonly CloudEvent<RawTraffic>[]) => Promise<void>;
  logger: Logger;
  maxEvents: number;
  maxBatch?: number;
  retryDelayMs?: number;
}): BufferedPublish {
  const maxBatch = opts.maxBatch ?? 1000;
  const retryBase = opts.retryDelayMs ?? 200;
  let queue: CloudEvent<RawTraffic>[] = [];
  let running = false;
  let failures = 0;
  let stopped = false;
  const idle: (() => void)[] = [];

  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    while (queue.length > 0 && !stopped) {
      const batch = queue.slice(0, maxBatch);
      try {
        await opts.publish(batch);
        queue = queue.slice(batch.length);
        if (failures > 0) opts.logger.info({ afterFailures: failures }, 'publishing again');
        failures = 0;
      } catch (e) {
        failures++;
        const delay = Math.min(retryBase * 2 ** Math.min(failures - 1, 6), 10_000);
        opts.logger.warn({ err: errorMessage(e), buffered: queue.length, retryInMs: delay }, 'publish failed, keeping the events buffered');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    running = false;
    idle.splice(0).forEach((r) => r());
  };

  return {
    offer(events) {
      if (queue.length + events.length > opts.maxEvents) return false;
      queue.push(...events);
      void pump();
      return true;
    },
    size: () => queue.length,
    async flush(timeoutMs) {
      if (queue.length > 0) {
        const done = new Promise<void>((r) => idle.push(r));
        void pump();
        await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      }
      stopped = true;
      return queue.length;
    },
  };
}
