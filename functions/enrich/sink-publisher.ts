/**
 * A Publisher that POSTs each event in CloudEvents HTTP binary mode to K_SINK (Knative SinkBinding).
 * The sink receives enriched and rejected events alike; routing by `type` is the sink's job (e.g. a
 * Knative Broker with a Trigger per type). `topic` is therefore not used.
 */
import { toHttpBinary, type CloudEvent } from '../../events';
import type { Publisher } from '../lib/bus';
import { TransientError, errorMessage } from '../lib/errors';

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ status: number }>;

export function createSinkPublisher(url: string, opts: { fetch?: Fetch; concurrency?: number } = {}): Publisher {
  const doFetch: Fetch = opts.fetch ?? ((u, init) => fetch(u, init));
  const concurrency = opts.concurrency ?? 8;
  const post = async (event: CloudEvent<unknown>): Promise<void> => {
    const { headers, body } = toHttpBinary(event);
    let status: number;
    try {
      status = (await doFetch(url, { method: 'POST', headers, body })).status;
    } catch (e) {
      throw new TransientError(`POST to K_SINK failed: ${errorMessage(e)}`, { cause: e });
    }
    // Any non-2xx is retried by our caller's redelivery: the sink decides what is permanent, not us.
    if (status < 200 || status > 299) throw new TransientError(`K_SINK answered ${status} for event ${event.attributes.id}`);
  };
  return {
    async publish(_topic, events) {
      for (let i = 0; i < events.length; i += concurrency) await Promise.all(events.slice(i, i + concurrency).map(post));
    },
    async close() {},
  };
}
