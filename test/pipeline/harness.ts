/**
 * What the pipeline acceptance suites share: a seeded workload with its ground truth (enrich's real
 * `dimensionsOf` over the shipped GeoIP database), the database with its schema and sites, the
 * producer of the raw stream (generate's `runGeneration`), a KafkaSource stand-in that delivers
 * records as binary-mode CloudEvents over HTTP, waiting on consumer-group lag, and the check of the
 * rejected topic against the malformed records that were sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AssignerProtocol, Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { assertAttributes, decodeRejected, type CloudEvent, type RawTraffic, type RejectedTraffic, type RejectReason } from '../../events';
import { dimensionsOf } from '../../functions/enrich/classify';
import { createGroundTruth, type GroundTruth } from '../../functions/generate/ground-truth';
import { createRecordSender } from '../../functions/generate/record-sender';
import { runGeneration, type Progress } from '../../functions/generate/run';
import { createSimulator, type MalformedRecord, type SimulatedItem } from '../../functions/generate/simulator';
import { DEMO_SITES, type SiteSpec } from '../../functions/generate/sites';
import type { Publisher } from '../../functions/lib/bus';
import { createDatabase, type Database } from '../../functions/lib/db';
import { openGeoIp } from '../../functions/lib/geoip';
import { createKafkaPublisher } from '../../functions/lib/kafka';
import { createLogger, type Logger } from '../../functions/lib/logger';
import { DAY_MS, HOUR_MS } from '../../functions/lib/time';
import { createSiteRegistry } from '../../functions/sites/registry';

/** New York (DST), Berlin (DST), Kolkata (+05:30). */
export const PIPELINE_SITES: readonly SiteSpec[] = DEMO_SITES;
export const SALT_SECRET = 'pipeline-acceptance-salt-secret-0123456789';

/** Logs of the stages under test: warnings and errors only, so a failing run shows why. */
export function testLogger(name: string): Logger {
  return createLogger({ name, level: process.env.LOG_LEVEL ?? 'warn' });
}

export interface WorkloadOptions {
  seed: number;
  /** Exact number of valid events. */
  count: number;
  days: number;
  malformedShare: number;
  botShare?: number;
}

export interface Workload {
  options: WorkloadOptions;
  from: Date;
  to: Date;
  /** The simulated items (a fresh iteration gives the same items again). */
  items: Iterable<SimulatedItem>;
  truth: GroundTruth;
  /** Malformed records handed to the producer, in order (filled while producing). */
  malformed: MalformedRecord[];
  /** Items as they are produced: tees malformed records into `malformed` (use for exactly one run). */
  recording(): Iterable<SimulatedItem>;
  describe(): string;
}

/**
 * A seeded run over the `days` whole hours before now, so enrich's real clock accepts every event
 * (an old fixed range would be rejected as too old one day). The seed, range and count are printed
 * with every failure, so a run can be reproduced with the simulator alone.
 */
export async function createWorkload(options: WorkloadOptions, nowMs = Date.now()): Promise<Workload> {
  const to = new Date(Math.floor(nowMs / HOUR_MS) * HOUR_MS);
  const from = new Date(to.getTime() - options.days * DAY_MS);
  const geo = await openGeoIp();
  const simulator = createSimulator({
    seed: options.seed,
    sites: PIPELINE_SITES,
    from,
    to,
    count: options.count,
    botShare: options.botShare ?? 0.05,
    malformedShare: options.malformedShare,
    geoip: geo,
  });
  const truth = createGroundTruth({ sites: PIPELINE_SITES, dimensionsOf: (raw: RawTraffic) => dimensionsOf(raw, geo) });
  const malformed: MalformedRecord[] = [];
  return {
    options,
    from,
    to,
    items: simulator,
    truth,
    malformed,
    *recording() {
      for (const item of simulator) {
        if (item.type === 'malformed') malformed.push(item);
        yield item;
      }
    },
    describe: () =>
      `seed ${options.seed}, ${options.count} events, ${from.toISOString()}..${to.toISOString()}, malformedShare ${options.malformedShare}, runId ${simulator.runId}`,
  };
}

/** Opens the suite's database, applies the migrations and registers the sites (public/private as specified). */
export async function prepareDatabase(url: string): Promise<Database> {
  const db = createDatabase({ url });
  await db.migrate();
  const registry = createSiteRegistry(db);
  for (const s of PIPELINE_SITES) await registry.add({ hostname: s.hostname, timezone: s.timezone, isPublic: s.isPublic });
  return db;
}

/**
 * Produces items to the raw topic with generate's own runner and kafkajs publisher (valid events)
 * and raw record sender (malformed ones). `copies` = 2 sends every batch twice in a row (a producer
 * that retried after a lost acknowledgement); the truth is fed once.
 */
export async function produceRaw(opts: {
  brokers: readonly string[];
  topic: string;
  items: Iterable<SimulatedItem>;
  truth?: GroundTruth;
  copies?: 1 | 2;
  /** Events per second (default 0 = as fast as Kafka takes them). */
  rate?: number;
}): Promise<Progress> {
  const logger = testLogger('generate');
  const publisher = createKafkaPublisher({ brokers: opts.brokers, clientId: 'wtm-generate', logger });
  const sender = createRecordSender({ brokers: opts.brokers, clientId: 'wtm-generate-raw', logger });
  const copies = opts.copies ?? 1;
  const twice: Publisher = {
    async publish(topic, events) {
      for (let i = 0; i < copies; i++) await publisher.publish(topic, events);
    },
    close: () => publisher.close(),
  };
  try {
    return await runGeneration({
      items: opts.items,
      publisher: twice,
      topic: opts.topic,
      sendRecords: async (topic, records) => {
        for (let i = 0; i < copies; i++) await sender.send(topic, records);
      },
      batchSize: 500,
      rate: opts.rate ?? 0,
      ...(opts.truth === undefined ? {} : { truth: opts.truth }),
    });
  } finally {
    await publisher.close();
    await sender.close();
  }
}

function admin(brokers: readonly string[]) {
  return new Kafka({ clientId: 'wtm-pipeline-test', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
}

/** Records not yet committed by `groupId` on `topic` (a group that never committed counts from 0), per partition. */
export async function groupLag(brokers: readonly string[], groupId: string, topic: string): Promise<{ lag: number; partitions: string }> {
  const a = admin(brokers);
  await a.connect();
  try {
    const ends = await a.fetchTopicOffsets(topic);
    const [committed] = await a.fetchOffsets({ groupId, topics: [topic] });
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    let lag = 0;
    const parts: string[] = [];
    for (const p of ends) {
      const done = Math.max(0, at.get(p.partition) ?? 0);
      const low = Number(p.low);
      const l = Number(p.high) - Math.max(done, low);
      lag += l;
      parts.push(`p${p.partition}: ${done}/${p.high}`);
    }
    return { lag, partitions: parts.join(', ') };
  } finally {
    await a.disconnect();
  }
}

/** Members of a consumer group that hold partitions now. */
export async function groupMembersWithPartitions(brokers: readonly string[], groupId: string): Promise<number> {
  const a = admin(brokers);
  await a.connect();
  try {
    const { groups } = await a.describeGroups([groupId]);
    return (groups[0]?.members ?? []).filter((m) => {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      return decoded !== null && Object.values(decoded.assignment).some((partitions) => partitions.length > 0);
    }).length;
  } finally {
    await a.disconnect();
  }
}

/**
 * Waits until every group has committed everything on its topic, in order (a later stage's topic
 * is complete only once the earlier stage has caught up). Fails with the lag per partition after
 * `timeoutMs`, or when no group moves for `stallMs`.
 */
export async function waitForGroups(
  brokers: readonly string[],
  stages: readonly { label: string; groupId: string; topic: string }[],
  opts: { timeoutMs: number; stallMs?: number; progress?: () => string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const stallMs = opts.stallMs ?? 120_000;
  for (const s of stages) {
    let last = Number.POSITIVE_INFINITY;
    let movedAt = Date.now();
    for (;;) {
      const { lag, partitions } = await groupLag(brokers, s.groupId, s.topic);
      if (lag === 0) break;
      if (lag !== last) {
        last = lag;
        movedAt = Date.now();
      }
      const why =
        Date.now() > deadline
          ? `not done within ${opts.timeoutMs} ms`
          : Date.now() - movedAt > stallMs
            ? `no progress for ${stallMs} ms`
            : undefined;
      if (why !== undefined) {
        throw new Error(
          `${s.label} (group ${s.groupId} on ${s.topic}) ${why}: ${lag} records left [${partitions}]${opts.progress ? `; ${opts.progress()}` : ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Every record of a topic up to its current end (call once the producers are done). */
export async function readTopic(brokers: readonly string[], topic: string, timeoutMs = 120_000): Promise<KafkaMessage[]> {
  const a = admin(brokers);
  await a.connect();
  const ends = await a.fetchTopicOffsets(topic);
  await a.disconnect();
  const remaining = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const out: KafkaMessage[] = [];
  if (remaining.size === 0) return out;
  const kafka = new Kafka({ clientId: 'wtm-pipeline-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}.reader.${Date.now().toString(36)}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic}: still waiting for partitions ${[...remaining.keys()].join(',')} after ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            out.push(message);
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Decodes a record of the rejected topic. Not with events' `fromKafkaMessage`: it applies the raw
 * event's 16 KiB limit to every record, and the rejection of an oversized record carries that
 * record, so it is larger by construction (reported; see the suite's notes).
 */
function decodeRejectedRecord(m: KafkaMessage): CloudEvent<RejectedTraffic> {
  const attrs: Record<string, string | undefined> = {};
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined && name.startsWith('ce_')) attrs[name.slice(3)] = one.toString();
  }
  attrs.datacontenttype = m.headers?.['content-type']?.toString();
  return decodeRejected({ attributes: assertAttributes(attrs, 'ce_'), dataText: m.value?.toString('utf8') ?? '' });
}

/** The bytes a rejected event says it received. */
function originalBytes(e: CloudEvent<RejectedTraffic>): Buffer {
  const o = e.data.original;
  return Buffer.from(o.body, o.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}

/**
 * Checks the rejected topic against the malformed records that were sent `copies` times each:
 * every one is there with its expected reason, the `stage`, and its original payload byte for byte
 * (Kafka path: headers and key too); nothing else was rejected. Returns the problems found.
 */
export function checkRejected(
  messages: readonly KafkaMessage[],
  sent: readonly MalformedRecord[],
  opts: { copies: number; transport: 'kafka' | 'http' },
): string[] {
  const problems: string[] = [];
  const keyOf = (headers: Record<string, string>, key: string | null, body: Buffer) =>
    opts.transport === 'kafka'
      ? JSON.stringify([Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : 1)), key, body.toString('base64')])
      : // over HTTP the headers are renamed (ce_ → ce-) and the key travels as ce-partitionkey: the body is what must be verbatim
        body.toString('base64');
  const expected = new Map<string, { reasons: RejectReason[]; kind: string }>();
  for (const m of sent) {
    const k = keyOf(m.record.headers, m.record.key, m.record.value);
    const e = expected.get(k) ?? { reasons: [], kind: m.kind };
    for (let i = 0; i < opts.copies; i++) e.reasons.push(m.reason);
    expected.set(k, e);
  }
  const byReason = new Map<string, number>();
  for (const msg of messages) {
    let event: CloudEvent<RejectedTraffic>;
    try {
      event = decodeRejectedRecord(msg);
    } catch (e) {
      problems.push(`rejected topic offset ${msg.offset}: not a valid rejected event (${(e as Error).message.slice(0, 200)})`);
      continue;
    }
    const d = event.data;
    byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
    if (d.original.transport !== opts.transport)
      problems.push(`rejected ${event.attributes.id}: transport ${d.original.transport}, expected ${opts.transport}`);
    const k = keyOf(d.original.headers, d.original.key, originalBytes(event));
    const want = expected.get(k);
    if (want === undefined || want.reasons.length === 0) {
      problems.push(
        `rejected but not sent as malformed (or more often than sent): stage ${d.stage}, reason ${d.reason}, problems ${JSON.stringify(d.problems).slice(0, 300)}`,
      );
      continue;
    }
    const i = want.reasons.indexOf(d.reason);
    if (i < 0)
      problems.push(
        `malformed record of kind ${want.kind}: rejected with ${d.reason}, expected ${want.reasons[0]} (${JSON.stringify(d.problems).slice(0, 300)})`,
      );
    want.reasons.splice(i < 0 ? 0 : i, 1);
    if (d.stage !== 'enrich') problems.push(`malformed record of kind ${want.kind}: rejected by ${d.stage}, expected enrich`);
  }
  for (const { reasons, kind } of expected.values()) {
    if (reasons.length > 0)
      problems.push(`malformed record of kind ${kind} (expected ${reasons[0]}): missing ${reasons.length} time(s) from the rejected topic`);
  }
  if (problems.length > 0)
    problems.push(`rejected by reason: ${JSON.stringify(Object.fromEntries(byReason))}; sent ${sent.length} × ${opts.copies}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// KafkaSource stand-in

export interface BridgeStats {
  posted: number;
  retried: number;
  byStatus: Record<string, number>;
  /** Records Knative would hand to the dead-letter sink (non-retryable status), with the answer. */
  deadLettered: { where: string; status: number; body: string }[];
}

/** Knative delivery retries these (and timeouts / connection errors); anything else non-2xx goes to the dead-letter sink. */
const RETRYABLE = new Set([404, 408, 409, 429]);

/** The Kafka binary binding's `ce_` headers as the HTTP binary binding's `ce-` headers (what KafkaSource does). */
export function toBinaryHttpHeaders(message: Pick<KafkaMessage, 'headers' | 'key'>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(message.headers ?? {})) {
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one === undefined) continue;
    const text = one.toString();
    headers[name.toLowerCase().startsWith('ce_') ? `ce-${name.slice(3)}` : name] = text;
  }
  if (message.key !== null && headers['ce-partitionkey'] === undefined && headers['ce-id'] !== undefined)
    headers['ce-partitionkey'] = message.key.toString();
  return headers;
}

/**
 * Consumes `topic` as group `groupId` and POSTs every record to `url` in binary mode with
 * `concurrency` requests in flight, retrying retryable answers with backoff as Knative delivery
 * does; a fetched batch's offsets are committed once all its records are delivered.
 */
export async function startKafkaSourceBridge(opts: {
  brokers: readonly string[];
  topic: string;
  groupId: string;
  url: string;
  concurrency: number;
}): Promise<{ stats: BridgeStats; stop(): Promise<void> }> {
  const stats: BridgeStats = { posted: 0, retried: 0, byStatus: {}, deadLettered: [] };
  const kafka = new Kafka({ clientId: 'wtm-kafkasource', brokers: [...opts.brokers], logLevel: logLevel.ERROR });
  // a long session: on a loaded machine one slice of slow answers must not cost a rebalance (and a redelivery)
  const consumer = kafka.consumer({ groupId: opts.groupId, maxWaitTimeInMs: 200, sessionTimeout: 120_000, rebalanceTimeout: 120_000 });
  const deliver = async (m: KafkaMessage, where: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let body = '';
      try {
        const r = await fetch(opts.url, {
          method: 'POST',
          headers: toBinaryHttpHeaders(m),
          body: new Uint8Array(m.value ?? Buffer.alloc(0)),
        });
        status = r.status;
        body = await r.text();
      } catch (e) {
        body = (e as Error).message;
      }
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        stats.posted++;
        return;
      }
      if (status !== 0 && status < 500 && !RETRYABLE.has(status)) {
        stats.deadLettered.push({ where, status, body: body.slice(0, 300) });
        return;
      }
      if (attempt >= 10) throw new Error(`${where}: still ${status} after ${attempt} attempts: ${body.slice(0, 200)}`);
      stats.retried++;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 3000)));
    }
  };
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, uncommittedOffsets, isRunning, isStale }) => {
      // in slices, committing and heartbeating after each, so a long batch never outlives the session
      const slice = opts.concurrency * 4;
      for (let start = 0; start < batch.messages.length; start += slice) {
        if (!isRunning() || isStale()) return;
        const part = batch.messages.slice(start, start + slice);
        let next = 0;
        const worker = async () => {
          while (next < part.length) {
            const m = part[next++]!;
            await deliver(m, `${batch.topic}/${batch.partition}@${m.offset}`);
            // kafkajs sends one only when the heartbeat interval has passed: slow answers never outlive the session
            await heartbeat();
          }
        };
        await Promise.all(Array.from({ length: opts.concurrency }, worker));
        resolveOffset(part[part.length - 1]!.offset);
        await heartbeat();
        await commitOffsetsIfNecessary(uncommittedOffsets());
      }
    },
  });
  return { stats, stop: () => consumer.disconnect() };
}

// ---------------------------------------------------------------------------------------------
// An aggregate runner in a process of its own (aggregate-process.ts), to run two in parallel and SIGKILL one

export interface RunnerProcess {
  child: ChildProcess;
  /** Every line it wrote (stdout and stderr). */
  output: string[];
  alive(): boolean;
  /** SIGKILL (no flush, no commit) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (flush, commit, close) and wait for the exit. */
  stop(): Promise<void>;
}

export function spawnAggregateRunner(opts: {
  brokers: readonly string[];
  databaseUrl: string;
  topicPrefix: string;
  groupId: string;
  flushSize?: number;
}): RunnerProcess {
  const args = JSON.stringify({
    brokers: opts.brokers,
    databaseUrl: opts.databaseUrl,
    topicPrefix: opts.topicPrefix,
    groupId: opts.groupId,
    flushSize: opts.flushSize ?? 2000,
    // a SIGKILLed runner's partitions go to the other one after 8 s, not the default 30 s
    sessionTimeoutMs: 8000,
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  // node itself (not the tsx CLI, which forks a child that would outlive a SIGKILL of its parent)
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'aggregate-process.ts'), args], {
    cwd: join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (d: Buffer) =>
    output.push(
      ...d
        .toString()
        .split('\n')
        .filter((l) => l !== ''),
    );
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const end = async (signal: NodeJS.Signals) => {
    if (gone()) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  };
  return { child, output, alive: () => !gone(), kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

/** Resolves once the runner says it consumes (or fails with its output when it exits first). */
export async function runnerStarted(r: RunnerProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!r.output.some((l) => l.includes('aggregate runner consuming'))) {
    if (!r.alive()) throw new Error(`aggregate runner exited: ${r.output.join('\n').slice(-2000)}`);
    if (Date.now() > until) throw new Error(`aggregate runner not consuming after ${timeoutMs} ms: ${r.output.join('\n').slice(-2000)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
