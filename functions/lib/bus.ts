/**
 * How stages talk. A stage consumes `Inbound` messages (from Kafka records, HTTP requests or the
 * in-process bus, all decoded by events/) and publishes CloudEvents through a `Publisher`
 * (kafkajs producer, K_SINK POST, or the in-process bus). The in-process bus carries the same
 * binary-mode records as Kafka, so every path runs the same decoding.
 */
import {
  fromHttp,
  fromKafkaMessage,
  originalFromHttp,
  originalFromKafka,
  toKafkaMessage,
  type CloudEvent,
  type DecodedEnvelope,
  type HttpHeaders,
  type KafkaOutgoing,
  type KafkaRecord,
  type OriginalMessage,
} from '../../events';

export interface Inbound {
  /** Decodes the envelope; throws EventFormatError listing every problem. */
  decode(): DecodedEnvelope;
  /** The message as received, for the rejected topic. */
  original(): OriginalMessage;
  /** Where it came from, for logs: `topic/partition@offset` or a request id. */
  where: string;
}

/** A Kafka record as an Inbound: a class, not an object of two closures, since one is made per record. */
class KafkaInbound implements Inbound {
  constructor(
    private readonly record: KafkaRecord,
    readonly where: string,
  ) {}
  decode(): DecodedEnvelope {
    return fromKafkaMessage(this.record);
  }
  original(): OriginalMessage {
    return originalFromKafka(this.record);
  }
}

export function inboundFromKafka(record: KafkaRecord, where: string): Inbound {
  return new KafkaInbound(record, where);
}

export function inboundFromHttp(headers: HttpHeaders, body: Buffer, where: string): Inbound {
  return { decode: () => fromHttp(headers, body), original: () => originalFromHttp(headers, body), where };
}

/** Publishes events durably: resolves only once the broker (or the next stage) has them. */
export interface Publisher {
  publish(topic: string, events: readonly CloudEvent<unknown>[]): Promise<void>;
  close(): Promise<void>;
}

/** A stage's batch entry point; it throws (TransientError) when the batch must be redelivered. */
export type BatchHandler = (batch: readonly Inbound[]) => Promise<void>;

/**
 * The in-process bus of the embedded default: per topic, an ordered queue delivered in batches
 * to one subscriber. A failed batch is retried (with backoff) before later records, as a
 * Kafka consumer that does not commit would see it again.
 *
 * Bounded: while a subscribed topic holds `maxQueued` records, `publish` waits until its subscriber
 * has taken a batch (as a Kafka producer blocks when its buffer is full). A publisher faster than the
 * pipeline — a load on `npm start`'s /api/event — is slowed down to what the pipeline stores, instead
 * of the queue (and the process's memory) growing without bound. Measured: bench/collect-load.ts.
 */
export interface InProcessBus extends Publisher {
  subscribe(topic: string, handler: BatchHandler, opts?: { maxBatch?: number }): void;
  /** Resolves when every queue is empty and no batch is in flight. */
  drain(): Promise<void>;
  stats(): Record<string, { published: number; delivered: number; queued: number }>;
}

export function createInProcessBus(
  opts: { onError?: (topic: string, e: unknown) => void; retryDelayMs?: number; maxQueued?: number } = {},
): InProcessBus {
  const maxQueued = opts.maxQueued ?? 20_000;
  interface Lane {
    queue: KafkaOutgoing[];
    handler?: BatchHandler;
    maxBatch: number;
    running: boolean;
    published: number;
    delivered: number;
    offset: number;
    /** Publishers waiting for room. */
    waiting: (() => void)[];
  }
  const lanes = new Map<string, Lane>();
  let closed = false;
  const idle: (() => void)[] = [];
  const lane = (topic: string): Lane => {
    let l = lanes.get(topic);
    if (l === undefined) {
      l = { queue: [], maxBatch: 500, running: false, published: 0, delivered: 0, offset: 0, waiting: [] };
      lanes.set(topic, l);
    }
    return l;
  };
  const isIdle = () => [...lanes.values()].every((l) => !l.running && (l.queue.length === 0 || l.handler === undefined));
  const notifyIdle = () => {
    if (isIdle()) idle.splice(0).forEach((r) => r());
  };
  const pump = (topic: string, l: Lane): void => {
    if (l.running || l.handler === undefined || l.queue.length === 0 || closed) {
      notifyIdle();
      return;
    }
    l.running = true;
    const handler = l.handler;
    const batch = l.queue.slice(0, l.maxBatch);
    const inbound = batch.map((m, i) => inboundFromKafka(m, `${topic}@${l.offset + i}`));
    setImmediate(() => {
      handler(inbound).then(
        () => {
          l.queue.splice(0, batch.length);
          l.offset += batch.length;
          l.delivered += batch.length;
          l.running = false;
          if (l.queue.length < maxQueued) l.waiting.splice(0).forEach((r) => r());
          pump(topic, l);
        },
        (e: unknown) => {
          opts.onError?.(topic, e);
          setTimeout(() => {
            l.running = false;
            pump(topic, l);
          }, opts.retryDelayMs ?? 1000);
        },
      );
    });
  };
  return {
    async publish(topic, events) {
      if (closed) throw new Error('bus is closed');
      const l = lane(topic);
      // Only a subscribed topic drains; an unsubscribed one keeps what it gets (nothing reads it yet).
      while (l.handler !== undefined && l.queue.length >= maxQueued && !closed) await new Promise<void>((r) => l.waiting.push(r));
      for (const e of events) l.queue.push(toKafkaMessage(e));
      l.published += events.length;
      pump(topic, l);
    },
    subscribe(topic, handler, o) {
      const l = lane(topic);
      if (l.handler !== undefined) throw new Error(`topic ${topic} already has a subscriber`);
      l.handler = handler;
      l.maxBatch = o?.maxBatch ?? 500;
      pump(topic, l);
    },
    drain() {
      return isIdle() ? Promise.resolve() : new Promise((resolve) => idle.push(resolve));
    },
    stats() {
      return Object.fromEntries(
        [...lanes].map(([t, l]) => [t, { published: l.published, delivered: l.delivered, queued: l.queue.length }]),
      );
    },
    async close() {
      await this.drain();
      closed = true;
    },
  };
}
