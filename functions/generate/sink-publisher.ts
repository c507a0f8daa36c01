/**
 * A Publisher that POSTs each event in CloudEvents HTTP binary mode (§3.1) to K_SINK, the address
 * a Knative SinkBinding injects. Resolves only when every POST got a 2xx; anything else is a
 * TransientError, so the caller answers 5xx and the trigger is retried.
 */
import { toHttpBinary, type CloudEvent } from '../../events';
import type { Publisher } from '../lib/bus';
import { TransientError, errorMessage } from '../lib/errors';

export interface SinkPublisher extends Publisher {
  /** Whether the sink answers at all (any HTTP status). */
  ready(): Promise<boolean>;
}

export function createSinkPublisher(opts: { sink: string; concurrency?: number; fetch?: typeof fetch }): SinkPublisher {
  const doFetch = opts.fetch ?? fetch;
  const concurrency = opts.concurrency ?? 16;
  const post = async (event: CloudEvent<unknown>): Promise<void> => {
    const { headers, body } = toHttpBinary(event);
    let status: number;
    try {
      const res = await doFetch(opts.sink, { method: 'POST', headers, body });
      status = res.status;
      await res.arrayBuffer();
    } catch (e) {
      throw new TransientError(`POST to K_SINK failed: ${errorMessage(e)}`, { cause: e });
    }
    if (status < 200 || status > 299) throw new TransientError(`K_SINK answered ${status} for event ${event.attributes.id}`);
  };
  return {
    async publish(_topic, events) {
      // the sink decides where events go; the topic is Kafka's concern only
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < events.length) await post(events[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, events.length) }, worker));
    },
    async ready() {
      try {
        await doFetch(opts.sink, { method: 'HEAD' });
        return true;
      } catch {
        return false;
      }
    },
    async close() {},
  };
}
