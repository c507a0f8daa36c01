/**
 * Schema changes under a lock: two `npm run migrate` processes started together on one fresh MariaDB
 * database, and two `npm start`s on another, must each apply every migration exactly once (without
 * the lock the second CREATE TABLE fails). A serving function on an unmigrated database stays unready
 * (`/readyz` 503, `down: ["schema"]`) with one log line, and becomes ready once the Job has run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { MIGRATIONS } from '../../functions/lib/db/migrate';
import { createTestDatabase, describeWithServices, freePort } from '../services';
import { startProduct, type StartedProcess } from '../start/harness';
import { ROOT } from './own-services';

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: 'pipe',
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolveRun({ code, out }));
  });
}

async function appliedMigrations(url: string): Promise<string[]> {
  const u = new URL(url);
  const c = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: u.username,
    database: u.pathname.slice(1),
  });
  try {
    const [rows] = await c.query('SELECT name FROM SequelizeMeta ORDER BY name');
    return (rows as { name: string }[]).map((r) => r.name);
  } finally {
    await c.end();
  }
}

describeWithServices('migrations take a lock; serving functions never migrate', ['mysql'], (services) => {
  it('two concurrent `npm run migrate` runs apply every migration once and both succeed', async () => {
    const db = await createTestDatabase(services().mysqlServerUrl);
    try {
      const env = { DATABASE_URL: db.url };
      const runs = await Promise.all([run(['functions/aggregate/migrate-cli.ts'], env), run(['functions/aggregate/migrate-cli.ts'], env)]);
      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      // One of them applied everything, the other waited for the lock and found nothing to do.
      const outs = runs.map((r) => r.out).sort();
      expect(outs[0]).toMatch(/^applied: /);
      expect(outs[1]).toMatch(/nothing to do/);
      expect(await appliedMigrations(db.url)).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await db.drop();
    }
  }, 180_000);

  it('two `npm start`s on one fresh MySQL database both start, and the schema is migrated once', async () => {
    const db = await createTestDatabase(services().mysqlServerUrl);
    const dirs = [mkdtempSync(join(tmpdir(), 'wtm-lock-a-')), mkdtempSync(join(tmpdir(), 'wtm-lock-b-'))];
    const started: StartedProcess[] = [];
    try {
      const ports = [await freePort(), await freePort()];
      const args = (i: number) => ['--port', String(ports[i]), '--data', dirs[i]!, '--rate', '0', '--backfill-days', '0', '--no-status'];
      const env = { DATABASE_URL: db.url, KAFKA_BROKERS: '', WTM_SALT_SECRET: 'migrate-lock-test-secret' };
      const both = await Promise.allSettled([startProduct(args(0), env), startProduct(args(1), env)]);
      for (const r of both) if (r.status === 'fulfilled') started.push(r.value);
      expect(both.map((r) => (r.status === 'fulfilled' ? 'started' : String(r.reason)))).toEqual(['started', 'started']);
      for (const s of started) expect((await fetch(`${s.url}api/v1/sites`)).status).toBe(200);
      expect(await appliedMigrations(db.url)).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await Promise.all(started.map((s) => s.stop()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      await db.drop();
    }
  }, 300_000);

  it('query on an unmigrated MySQL database does not migrate: /readyz says schema until the Job runs', async () => {
    const db = await createTestDatabase(services().mysqlServerUrl);
    const port = await freePort();
    // The image's command: the bounded server of functions/index.ts, FUNCTION_TARGET=query.
    const child = spawn(process.execPath, ['--import', 'tsx', 'functions/index.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, FUNCTION_TARGET: 'query', PORT: String(port), DATABASE_URL: db.url, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const ready = `http://127.0.0.1:${port}/readyz`;
      // Until the function is built the entry says `phase: starting`; then it checks the schema.
      let first: unknown;
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        first = await fetch(ready).then(
          (r) => r.json(),
          () => undefined,
        );
        if (typeof first === 'object' && first !== null && 'down' in first && (first as { down: unknown[] }).down.length > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(first).toEqual({ ready: false, down: ['schema'] });
      const again = [await fetch(ready), await fetch(ready)];
      expect(again.map((r) => r.status)).toEqual([503, 503]);
      // Nothing was created by the serving function, and the log says what to do, once.
      await expect(appliedMigrations(db.url)).rejects.toThrow(/doesn't exist/);
      expect(out.split('\n').filter((l) => l.includes('run the migration Job')).length).toBe(1);

      expect((await run(['functions/aggregate/migrate-cli.ts'], { DATABASE_URL: db.url })).code).toBe(0);
      const after = await fetch(ready);
      expect([after.status, await after.json()]).toEqual([200, { ready: true }]);
      // The log line travels through a pipe: give it a moment.
      for (let i = 0; i < 50 && !out.includes('ready again'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toMatch(/ready again/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await db.drop();
    }
  }, 120_000);
});
