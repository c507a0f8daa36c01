/**
 * The kafkajs adapter shared by every stage: a `Publisher` over one idempotent producer, an
 * at-least-once `eachBatch` consumer loop, and an admin helper that creates topics.
 *
 * Records are CloudEvents in the Kafka binary binding (events/kafka.ts); this file only moves them.
 */
import {
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  logLevel,
  type Consumer,
  type EachBatchPayload,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { connect as netConnect } from 'node:net';
import { promisify } from 'node:util';
import { gzip, unzip } from 'node:zlib';
import { toKafkaMessage, type CloudEvent, type KafkaOutgoing } from '../../events';
import { inboundFromKafka, type BatchHandler, type Publisher } from './bus';
import { TransientError, errorMessage } from './errors';
import { faultPoint } from './fault';
import { patchKafkajsRecordEncoder, patchKafkajsRequestQueue } from './kafkajs-patch';
import { createKeyPartitioner } from './partitioner';
import type { Logger } from './logger';

// kafkajs 2.2.4 schedules a timer from a past time on every idle connection, and encodes a record
// with seven zero-filled buffers (kafkajs-patch.ts).
patchKafkajsRequestQueue();
patchKafkajsRecordEncoder();

/**
 * The zlib level of the gzip batches enrich publishes. kafkajs's own gzip codec uses zlib's default, 6;
 * level 1 takes half the CPU (7.3–9.9 → 3.6–4.4 µs per enriched record in batches of 500, libuv's pool and
 * the main thread together; enrich's gzip was ~9 % of its CPU) for 0.105 instead of 0.086 of the bytes.
 * The level is the writer's choice: every gzip reader (a KafkaSource, the broker, kafkajs) reads it.
 */
export const GZIP_LEVEL = 1;
const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);
// kafkajs's documented way to bring a codec (CompressionCodecs[type] = () => codec)
CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level: GZIP_LEVEL }),
  decompress: (buffer: Buffer) => unzipAsync(buffer),
});

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
}

/**
 * Which kafkajs log entries are about reaching a broker. During an outage kafkajs writes several of
 * these per second per client (connection errors, seed-broker retries, consumer crashes and restarts).
 */
const CONNECTION_TROUBLE =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|ETIMEDOUT|EPIPE|Connection error|Connection timeout|Failed to connect|Closed connection|KafkaJSConnection|NumberOfRetriesExceeded|Restarting the consumer|not (?:be )?(?:available|connected)|disconnected/i;

export type KafkaLogDecision = 'error' | 'warn' | 'info' | 'debug';

/**
 * The state machine behind kafkajs's log: connection trouble is logged once when it starts (warn, with
 * the first message) and once when a broker socket connects again (info); in between, the same kind
 * of entries go to debug. Everything else keeps its level (error, warn; kafkajs info → debug).
 */
export function createKafkaLogState() {
  let down = false;
  return {
    entry(level: logLevel, text: string): KafkaLogDecision {
      if (level <= logLevel.WARN && CONNECTION_TROUBLE.test(text)) {
        if (down) return 'debug';
        down = true;
        return 'warn';
      }
      if (level <= logLevel.ERROR) return 'error';
      if (level === logLevel.WARN) return 'warn';
      return 'debug';
    },
    /** A broker socket connected: 'info' when that ends an outage. */
    connected(): 'info' | undefined {
      if (!down) return undefined;
      down = false;
      return 'info';
    },
    isDown: () => down,
  };
}

/** kafkajs logs through our pino logger: one line per change of broker reachability (see createKafkaLogState). */
export function createKafkaClient(opts: KafkaClientOptions): Kafka {
  const log = opts.logger.child({ component: 'kafkajs' });
  const state = createKafkaLogState();
  return new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    logLevel: logLevel.WARN,
    // kafkajs's own factory (src/network/socketFactory.js, no TLS here), plus noticing that a broker answers again.
    socketFactory: ({ host, port, onConnect }) => {
      const socket = netConnect({ host, port }, () => {
        if (state.connected() === 'info') log.info({ broker: `${host}:${port}` }, 'kafka broker reachable again');
        onConnect();
      });
      socket.setKeepAlive(true, 60_000);
      return socket;
    },
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const text = `${message} ${typeof rest.error === 'string' ? rest.error : ''}`;
        const decision = state.entry(level, text);
        if (decision === 'warn' && state.isDown() && CONNECTION_TROUBLE.test(text)) {
          log.warn(rest, `kafka broker unreachable: ${message} (repeats are logged at debug until it is back)`);
        } else log[decision](rest, message);
      },
  });
}

// ---------------------------------------------------------------------------------------------
// Publisher

export type Compression = 'none' | 'gzip';

export interface KafkaPublisherOptions extends KafkaClientOptions {
  compression?: Compression;
  /** Upper bound on the record bytes of one produce request; larger flushes are split. */
  maxRequestBytes?: number;
}

export interface KafkaPublisher extends Publisher {
  /** Connects (if needed) and asks the cluster for metadata: true when a broker answers. */
  ready(): Promise<boolean>;
}

interface Pending {
  topic: string;
  messages: KafkaOutgoing[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * A Publisher over one kafkajs producer (acks = all, idempotent). Concurrent `publish` calls are
 * coalesced: while one produce request is in flight the next ones queue up and go out together,
 * one `sendBatch` with the messages grouped per topic. Sends never overlap, which keeps the
 * idempotent producer's sequence numbers in order (kafkajs does not guard concurrent sends).
 */
export function createKafkaPublisher(opts: KafkaPublisherOptions): KafkaPublisher {
  const kafka = createKafkaClient(opts);
  const log = opts.logger.child({ component: 'kafka-publisher' });
  const compression = opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const maxRequestBytes = opts.maxRequestBytes ?? 512 * 1024;
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let queue: Pending[] = [];
  let flushing = false;
  let closed = false;

  const connected = (): Promise<Producer> => {
    if (producer !== undefined) return Promise.resolve(producer);
    connecting ??= (async () => {
      const p = kafka.producer({
        // The murmur2 partitioner of the Java client, so keys land where other Kafka clients put them.
        createPartitioner: createKeyPartitioner,
        idempotent: true,
        // Bounded, so a publish fails (-> TransientError -> redelivery or 503) instead of hanging while
        // the broker is down; after a failure the producer is replaced (see `discard`), which keeps
        // idempotence sound.
        retry: { retries: 6, initialRetryTime: 300, maxRetryTime: 10_000 },
        allowAutoTopicCreation: false,
      });
      try {
        await p.connect();
      } catch (e) {
        await p.disconnect().catch(() => undefined);
        throw e;
      }
      producer = p;
      return p;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  // A send that failed after its retries may or may not have been written. Reusing the producer
  // would reuse its sequence numbers, and the broker could take a new batch for a duplicate of the
  // old one; a fresh producer gets a fresh producer id.
  const discard = async (): Promise<void> => {
    const p = producer;
    producer = undefined;
    if (p !== undefined) await p.disconnect().catch(() => undefined);
  };

  const flush = async (): Promise<void> => {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = takeChunk();
        const started = Date.now();
        const count = batch.reduce((n, p) => n + p.messages.length, 0);
        try {
          const p = await connected();
          await p.sendBatch({ topicMessages: groupByTopic(batch), acks: -1, compression });
          log.debug({ messages: count, publishes: batch.length, durationMs: Date.now() - started }, 'published');
          batch.forEach((b) => b.resolve());
        } catch (e) {
          log.warn({ messages: count, err: errorMessage(e), durationMs: Date.now() - started }, 'publish failed');
          await discard();
          const err = new TransientError(`kafka publish failed: ${errorMessage(e)}`, { cause: e });
          batch.forEach((b) => b.reject(err));
        }
      }
    } finally {
      flushing = false;
    }
  };

  /** Takes queued publishes up to maxRequestBytes (at least one). */
  const takeChunk = (): Pending[] => {
    let bytes = 0;
    let n = 0;
    while (n < queue.length) {
      const size = queue[n]!.messages.reduce((s, m) => s + m.value.length + 200, 0);
      if (n > 0 && bytes + size > maxRequestBytes) break;
      bytes += size;
      n++;
    }
    const taken = queue.slice(0, n);
    queue = queue.slice(n);
    return taken;
  };

  return {
    publish(topic: string, events: readonly CloudEvent<unknown>[]): Promise<void> {
      if (closed) return Promise.reject(new Error('publisher is closed'));
      if (events.length === 0) return Promise.resolve();
      const messages = events.map((e) => toKafkaMessage(e));
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, messages, resolve, reject });
        void flush();
      });
    },
    async ready() {
      try {
        await connected();
        const admin = kafka.admin();
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
        return true;
      } catch (e) {
        log.warn({ err: errorMessage(e) }, 'kafka not ready');
        return false;
      }
    },
    async close() {
      closed = true;
      while (flushing || queue.length > 0) await new Promise((r) => setTimeout(r, 10));
      await discard();
    },
  };
}

function groupByTopic(batch: readonly Pending[]): { topic: string; messages: KafkaOutgoing[] }[] {
  const byTopic = new Map<string, KafkaOutgoing[]>();
  for (const p of batch) {
    const list = byTopic.get(p.topic);
    if (list === undefined) byTopic.set(p.topic, [...p.messages]);
    else list.push(...p.messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

// ---------------------------------------------------------------------------------------------
// Consumer

export interface RunConsumerOptions extends KafkaClientOptions {
  groupId: string;
  topic: string;
  handler: BatchHandler;
  /** Where a new group starts: the earliest record (true) or only new ones (default). */
  fromBeginning?: boolean;
  /** Records per handler call; a fetched batch is cut into sub-batches of this size. */
  maxBatch?: number;
  /** Handler attempts per sub-batch before the batch is handed back to kafkajs (default 4). */
  attempts?: number;
  /** First retry delay (ms), doubled per attempt up to 5 s (default 250). */
  retryDelayMs?: number;
  /**
   * Partitions whose batches are handled at the same time (kafkajs `partitionsConsumedConcurrently`,
   * default 1). Offsets stay ordered per partition; concurrent sub-batches let a batching handler
   * (the aggregate writer, the coalescing publisher) put several partitions into one flush or request.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * How long the group waits for a silent member before giving its partitions to the others (kafkajs
   * `sessionTimeout`, default 30 s; the broker allows 6 s and up). A SIGKILLed runner's partitions stay
   * unconsumed this long, and a restarted replica's first rebalance waits for it too.
   */
  sessionTimeoutMs?: number;
}

export interface RunningConsumer {
  stop(): Promise<void>;
  /** True while the consumer is connected to its group and has not crashed for good. */
  ready(): Promise<boolean>;
}

/** Thrown back to kafkajs so it refetches from the last resolved offset; `retriable` makes it restart, never die. */
class BatchFailedError extends Error {
  override readonly name = 'BatchFailedError';
  readonly retriable = true;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The consumer group's session timeout when `sessionTimeoutMs` is not given (kafkajs' own default). */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/**
 * At-least-once consumption: records are converted to `Inbound` (events/ decodes them in the handler),
 * handed over in sub-batches, and a sub-batch's offsets are resolved and committed only after the
 * handler resolved. A failing handler is retried a few times with backoff (heartbeating, so the
 * group keeps the partition); then kafkajs gets the error, refetches from the last resolved offset
 * with its own backoff and, when that is exhausted, restarts the consumer. Nothing is skipped.
 */
export async function runConsumer(opts: RunConsumerOptions): Promise<RunningConsumer> {
  const kafka = createKafkaClient(opts);
  const log = opts.logger.child({ component: 'kafka-consumer', topic: opts.topic, groupId: opts.groupId });
  const maxBatch = opts.maxBatch ?? 500;
  const attempts = opts.attempts ?? 4;
  const retryDelayMs = opts.retryDelayMs ?? 250;
  const sessionTimeout = opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  const consumer: Consumer = kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout,
    // kafkajs wants heartbeats well inside the session: every 3 s, or a third of a shorter session
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
    allowAutoTopicCreation: false,
    retry: {
      retries: 8,
      initialRetryTime: 300,
      maxRetryTime: 30_000,
      // A crash after exhausted retries restarts the consumer (kafkajs rejoins and refetches from the committed offset).
      restartOnFailure: async (e) => {
        log.error({ err: errorMessage(e) }, 'consumer crashed, restarting');
        return true;
      },
    },
  });
  let joined = false;
  let dead = false;
  let stopping = false;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined = true;
    log.info({ memberId: e.payload.memberId, assignment: e.payload.memberAssignment }, 'joined group');
  });
  consumer.on(consumer.events.CRASH, (e) => {
    joined = false;
    if (!e.payload.restart) dead = true;
    log.error({ err: errorMessage(e.payload.error), restart: e.payload.restart }, 'consumer crash');
  });
  consumer.on(consumer.events.DISCONNECT, () => {
    joined = false;
  });

  const handleSubBatch = async (payload: EachBatchPayload, start: number, end: number): Promise<void> => {
    const { batch } = payload;
    const records = batch.messages.slice(start, end);
    const inbound = records.map((m) => inboundFromKafka(m, `${batch.topic}/${batch.partition}@${m.offset}`));
    const firstOffset = records[0]!.offset;
    const lastOffset = records[records.length - 1]!.offset;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        await opts.handler(inbound);
      } catch (e) {
        const ctx = { partition: batch.partition, firstOffset, lastOffset, size: records.length, attempt, err: errorMessage(e) };
        if (attempt >= attempts || !payload.isRunning() || payload.isStale()) {
          log.error(ctx, 'batch failed, handing back to kafkajs for redelivery');
          throw new BatchFailedError(`handler failed on ${batch.topic}/${batch.partition}@${firstOffset}: ${errorMessage(e)}`, {
            cause: e,
          });
        }
        const delay = Math.min(retryDelayMs * 2 ** (attempt - 1), 5_000);
        log.warn({ ...ctx, retryInMs: delay }, 'batch failed, retrying');
        await sleep(delay);
        await payload.heartbeat();
        continue;
      }
      // Crash tests kill here: handled (enrich: published) but not committed, so it all comes again.
      faultPoint('consumer.after-handle');
      payload.resolveOffset(lastOffset);
      // With autoCommit off, kafkajs commits only offsets passed explicitly. A failing commit (e.g. a
      // rebalance) is thrown to kafkajs as is: the records were handled and may be seen again (at least once).
      await payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
      log.debug(
        { partition: batch.partition, firstOffset, lastOffset, size: records.length, durationMs: Date.now() - started },
        'batch handled',
      );
      return;
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning ?? false });
  await consumer.run({
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      for (let start = 0; start < batch.messages.length; start += maxBatch) {
        // PostHog-style: stop early when shutting down or when a rebalance/seek made this batch stale
        if (!payload.isRunning() || payload.isStale()) return;
        await handleSubBatch(payload, start, Math.min(start + maxBatch, batch.messages.length));
        await payload.heartbeat();
      }
    },
  });
  log.info({ maxBatch, partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1 }, 'consumer running');

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      await consumer.disconnect();
      log.info('consumer stopped');
    },
    async ready() {
      return joined && !dead && !stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Admin

/** Creates the topics that do not exist yet (replication factor 1 locally; the cluster default otherwise). */
export async function ensureTopics(
  brokers: readonly string[],
  topics: readonly string[],
  partitions: number,
  opts: { replicationFactor?: number; logger?: Logger } = {},
): Promise<void> {
  const kafka = new Kafka({ clientId: 'wtm-admin', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: opts.replicationFactor ?? -1 })),
    });
    opts.logger?.info({ topics: missing, partitions }, 'created topics');
  } catch (e) {
    // Another process may have created them in between: that is success, anything else is not.
    if (!(e instanceof Error && /already exists/i.test(e.message + JSON.stringify(e)))) {
      throw new TransientError(`ensureTopics failed: ${errorMessage(e)}`, { cause: e });
    }
  } finally {
    await admin.disconnect();
  }
}
