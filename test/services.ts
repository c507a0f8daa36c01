/**
 * Finds the real services for integration suites: KAFKA_BROKERS / DATABASE_URL first; otherwise,
 * when a Docker engine answers, testcontainers (Apache Kafka 4.x, MySQL 8.4); otherwise the suite
 * is skipped with one loud line that says why. Nothing skips silently.
 *
 * Each suite gets its own database and topic prefix (created here, dropped afterwards), so what an
 * earlier run left behind never changes a result.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { patchKafkajsRequestQueue } from '../functions/lib/kafkajs-patch';
import mysql from 'mysql2/promise';
import { topicNames, type Topics } from '../events';

// Suites that use kafkajs here without loading functions/lib/kafka.ts get the same fix of kafkajs 2.2.4's
// negative timer (functions/lib/kafkajs-patch.ts).
patchKafkajsRequestQueue();

export type Need = 'kafka' | 'mysql';

interface Resolved {
  kafkaBrokers?: string[];
  mysqlServerUrl?: string;
  skipReason?: string;
  useDocker: boolean;
}

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function resolve(needs: readonly Need[]): Resolved {
  const r: Resolved = { useDocker: false };
  const missing: string[] = [];
  if (needs.includes('kafka')) {
    if (process.env.KAFKA_BROKERS) r.kafkaBrokers = process.env.KAFKA_BROKERS.split(',').map((s) => s.trim());
    else missing.push('KAFKA_BROKERS');
  }
  if (needs.includes('mysql')) {
    if (process.env.DATABASE_URL?.startsWith('mysql')) r.mysqlServerUrl = process.env.DATABASE_URL;
    else missing.push('DATABASE_URL (mysql://…)');
  }
  if (missing.length > 0) {
    if (dockerAnswers()) r.useDocker = true;
    else r.skipReason = `${missing.join(' and ')} not set and no Docker engine answers (run \`bash .ci/run\`, or see README "Tests")`;
  }
  return r;
}

export interface Services {
  /** Kafka bootstrap servers. */
  brokers: string[];
  /** Topics with a prefix unique to this suite; created with 4 partitions. */
  topics: Topics;
  topicPrefix: string;
  /** mysql://… URL of a database unique to this suite (created empty). */
  databaseUrl: string;
  /** Server URL without database (for creating more databases). */
  mysqlServerUrl: string;
}

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Random lower-case id for database and topic names of one suite. */
export function runId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(serverUrl: string, name = `wtm_t_${runId()}`): Promise<{ url: string; drop(): Promise<void> }> {
  const u = new URL(serverUrl);
  const conn = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  });
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return {
    url: withDatabase(serverUrl, name),
    async drop() {
      const c = await mysql.createConnection({
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password),
      });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

export async function createTestTopics(
  brokers: string[],
  prefix = `wtm.t.${runId()}`,
  partitions = 4,
): Promise<{ topics: Topics; prefix: string; drop(): Promise<void> }> {
  const topics = topicNames(prefix);
  const admin = new Kafka({ clientId: 'wtm-test', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
  });
  await admin.disconnect();
  return {
    topics,
    prefix,
    async drop() {
      const a = new Kafka({ clientId: 'wtm-test', brokers, logLevel: logLevel.NOTHING }).admin();
      await a.connect();
      await a.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
      await a.disconnect();
    },
  };
}

/**
 * Declares an integration suite that needs real services. `get()` returns them inside tests.
 * Skipped (loudly) when they cannot be found.
 */
export function describeWithServices(name: string, needs: readonly Need[], body: (get: () => Services) => void): void {
  const r = resolve(needs);
  if (r.skipReason !== undefined) {
    if (process.env.WTM_REQUIRE_INTEGRATION === '1') {
      // CI must never pass with its integration suites skipped.
      describe(name, () => {
        it('has its services', () => {
          throw new Error(`WTM_REQUIRE_INTEGRATION=1 but ${r.skipReason}`);
        });
      });
      return;
    }
    process.stderr.write(`\n⚠ SKIPPED integration suite "${name}": ${r.skipReason}\n`);
    describe.skip(name, () =>
      body(() => {
        throw new Error('skipped');
      }),
    );
    return;
  }
  describe(name, () => {
    let services: Services | undefined;
    const cleanups: (() => Promise<unknown>)[] = [];
    beforeAll(async () => {
      let brokers = r.kafkaBrokers ?? [];
      let serverUrl = r.mysqlServerUrl ?? '';
      if (r.useDocker) {
        if (needs.includes('kafka') && brokers.length === 0) {
          // The official apache/kafka 4.x image in KRaft mode (the Node Kafka module targets Confluent's
          // images). The advertised listener must name the host port, so it is chosen before start.
          // Not exercised on our CI machines, which have no Docker engine.
          const { GenericContainer, Wait } = await import('testcontainers');
          const port = await freePort();
          const c = await new GenericContainer('apache/kafka:4.1.1')
            .withExposedPorts({ container: 9092, host: port })
            .withEnvironment({
              KAFKA_NODE_ID: '1',
              KAFKA_PROCESS_ROLES: 'broker,controller',
              KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
              KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${port}`,
              KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
              KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
              KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
              KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
              KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
              KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
              KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
            })
            .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
            .withStartupTimeout(180_000)
            .start();
          cleanups.push(() => c.stop());
          brokers = [`localhost:${port}`];
        }
        if (needs.includes('mysql') && serverUrl === '') {
          const { MySqlContainer } = await import('@testcontainers/mysql');
          const c = await new MySqlContainer('mysql:8.4').withRootPassword('test').start();
          cleanups.push(() => c.stop());
          serverUrl = `mysql://root:test@${c.getHost()}:${c.getPort()}/`;
        }
      }
      let topics = topicNames('wtm');
      let topicPrefix = 'wtm';
      if (needs.includes('kafka')) {
        const t = await createTestTopics(brokers);
        cleanups.push(t.drop);
        topics = t.topics;
        topicPrefix = t.prefix;
      }
      let databaseUrl = '';
      if (needs.includes('mysql')) {
        const d = await createTestDatabase(serverUrl);
        cleanups.push(d.drop);
        databaseUrl = d.url;
      }
      services = { brokers, topics, topicPrefix, databaseUrl, mysqlServerUrl: serverUrl };
      process.stderr.write(
        `▶ integration suite "${name}" runs against ${needs.includes('kafka') ? `Kafka ${brokers.join(',')} (topics ${topicPrefix}.*)` : ''}${needs.length > 1 ? ' and ' : ''}${needs.includes('mysql') ? `MySQL ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname}` : ''}\n`,
      );
    }, 300_000);
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    }, 120_000);
    // A nested block, so the suite's own afterAll hooks (stopping runners, closing clients) run
    // before the services' cleanup drops the database and topics under them.
    describe('on real services', () => {
      body(() => {
        if (services === undefined) throw new Error('services not started');
        return services;
      });
    });
  });
}
