/**
 * A Kafka broker and a MariaDB server of the suite's own, which the suite may stop and start (the
 * shared ones at 9092/3306 serve other suites and must never be touched). Kafka runs through
 * infra/local/kafka.sh with another home and other ports (reusing the fetched jars); MariaDB is a
 * fresh `mariadb-install-db` data dir served by `mariadbd` on a free port of 127.0.0.1.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '../services';

const run = promisify(execFile);
export const ROOT = resolve(__dirname, '../..');

export { freePort };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface OwnKafka {
  brokers: string[];
  start(): Promise<void>;
  /** SIGTERM, as an orderly broker restart; `kafka.sh` escalates to SIGKILL after its timeout. */
  stop(): Promise<void>;
  /** SIGKILL: no orderly shutdown, the broker recovers its logs on the next start. */
  kill(): Promise<void>;
  /** Stops and removes the home dir. */
  destroy(): Promise<void>;
}

export async function createOwnKafka(): Promise<OwnKafka> {
  const home = mkdtempSync(join(tmpdir(), 'wtm-rel-kafka-'));
  const sharedLibs = join(ROOT, 'infra/local/.kafka/libs');
  // The jars are the same for every broker: link them instead of fetching again.
  if (existsSync(join(sharedLibs, '.fetched'))) symlinkSync(sharedLibs, join(home, 'libs'));
  const port = await freePort();
  let controller = await freePort();
  while (controller === port) controller = await freePort();
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controller),
    KAFKA_HOME_DIR: home,
    KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m',
    // After a SIGKILL the broker recovers its logs first; on two busy cores that can pass a minute.
    KAFKA_START_TIMEOUT: '240',
  };
  const script = join(ROOT, 'infra/local/kafka.sh');
  const cmd = async (what: string) => {
    await run('bash', [script, what], { env, timeout: 180_000 });
  };
  const kafka: OwnKafka = {
    brokers: [`127.0.0.1:${port}`],
    async start() {
      await cmd('start');
      await cmd('wait');
    },
    stop: () => cmd('stop'),
    kill: () => cmd('kill'),
    async destroy() {
      await cmd('stop').catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
  return kafka;
}

export interface OwnMariaDb {
  /** Server URL without a database, `mysql://root@127.0.0.1:<port>/`. */
  serverUrl: string;
  port: number;
  start(): Promise<void>;
  /** SIGTERM and wait for the process to exit: the server is gone (connection refused) until start(). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: InnoDB recovers from its redo log on the next start. */
  kill(): Promise<void>;
  destroy(): Promise<void>;
}

export async function createOwnMariaDb(): Promise<OwnMariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-rel-mariadb-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'], {
    timeout: 60_000,
  });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = async (): Promise<boolean> => {
    try {
      const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2000 });
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  const db: OwnMariaDb = {
    serverUrl: `mysql://root@127.0.0.1:${port}/`,
    port,
    async start() {
      if (child !== undefined) return;
      const c = spawn(
        'mariadbd',
        [
          '--no-defaults',
          `--datadir=${data}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          `--socket=${join(dir, 'sock')}`,
          `--pid-file=${join(dir, 'pid')}`,
          '--user=root',
          '--innodb-buffer-pool-size=64M',
          '--skip-log-bin',
        ],
        { stdio: 'ignore' },
      );
      child = c;
      c.once('exit', () => {
        if (child === c) child = undefined;
      });
      const until = Date.now() + 60_000;
      while (!(await ping())) {
        if (child === undefined) throw new Error('mariadbd exited while starting');
        if (Date.now() > until) throw new Error(`mariadbd on ${port} did not answer within 60 s`);
        await sleep(200);
      }
    },
    async stop() {
      const c = child;
      if (c === undefined) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      await exited;
      child = undefined;
    },
    async kill() {
      const c = child;
      if (c === undefined) return;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      await exited;
      child = undefined;
    },
    async destroy() {
      await db.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return db;
}

export async function createDatabaseOn(serverUrl: string, name: string): Promise<string> {
  const u = new URL(serverUrl);
  const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username) });
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
