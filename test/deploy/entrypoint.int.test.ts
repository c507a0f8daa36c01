/**
 * The container's command, for real: bundles functions/index.ts with scripts/build-functions.mjs,
 * then, for every function whose module exists, runs the image's command
 *   node <bundle>            (FUNCTION_TARGET=<name>: the bounded server of functions/index.ts)
 * and, for query, the framework's own CLI too (functions-framework --target=<name> --source=<bundle>),
 * against the real Kafka and MySQL, waits for /healthz, expects /readyz to say ready, sends
 * SIGTERM and expects exit code 0 within a bound (the entry closes the function first).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeWithServices, freePort, runId } from '../services';
import { HEALTH_PATH, READY_PATH, SHUTDOWN_BOUND_MS, TARGETS } from '../../functions/index';
import { ROOT } from './repo';

const present = TARGETS.filter((t) => existsSync(resolve(ROOT, `functions/${t}/function.ts`)));
const missing = TARGETS.filter((t) => !present.includes(t));
if (missing.length > 0)
  process.stderr.write(`\n⚠ entrypoint test skips ${missing.join(', ')}: functions/<name>/function.ts does not exist yet\n`);

async function waitFor(url: string, child: ChildProcess, ms: number): Promise<Response> {
  const until = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before answering ${url}`);
    try {
      return await fetch(url);
    } catch {
      if (Date.now() > until) throw new Error(`${url} did not answer within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolveExit, reject) => {
    if (child.exitCode !== null) return resolveExit(child.exitCode);
    const t = setTimeout(() => reject(new Error(`no exit within ${ms} ms after SIGTERM`)), ms);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolveExit(code);
    });
  });
}

describeWithServices('container entrypoint (functions-framework on the bundle)', ['kafka', 'mysql'], (services) => {
  const outdir = join(ROOT, 'dist', `entrypoint-test-${runId()}`);
  const bundle = join(outdir, 'index.js');

  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-functions.mjs'), '--outdir', outdir], { cwd: ROOT, stdio: 'pipe' });
    // As in the cluster, where the wtm-migrate Job runs before the functions are ready.
    const migrate = join(outdir, 'migrate-cli.js');
    if (existsSync(migrate)) {
      execFileSync(process.execPath, [migrate], {
        cwd: ROOT,
        stdio: 'pipe',
        env: { PATH: process.env.PATH, DATABASE_URL: services().databaseUrl },
      });
    } else process.stderr.write('\n⚠ entrypoint test: no migrate-cli bundle, the schema is not migrated first\n');
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const cases: [string, 'image' | 'framework'][] = [
    ...present.map((t): [string, 'image'] => [t, 'image']),
    ...present.filter((t) => t === 'query').map((t): [string, 'framework'] => [t, 'framework']),
  ];
  it.each(cases)(
    '%s (%s command) starts, is healthy and ready, and exits 0 on SIGTERM',
    async (target, command) => {
      const s = services();
      const port = await freePort();
      const output: string[] = [];
      // The Containerfile's command, with the environment the Knative Service gives it.
      const child = spawn(
        process.execPath,
        command === 'image' ? [bundle] : [join(ROOT, 'node_modules/.bin/functions-framework'), `--target=${target}`, `--source=${bundle}`],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH,
            NODE_ENV: 'production',
            PORT: String(port),
            FUNCTION_TARGET: target,
            KAFKA_BROKERS: s.brokers.join(','),
            DATABASE_URL: s.databaseUrl,
            WTM_TOPIC_PREFIX: s.topicPrefix,
            WTM_SALT_SECRET: 'entrypoint-test-salt-secret-0123456789',
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
      child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
      try {
        const health = await waitFor(`http://127.0.0.1:${port}${HEALTH_PATH}`, child, 60_000);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok' });

        // Readiness may take a moment (connections, migrations); it must become ready.
        let ready = await fetch(`http://127.0.0.1:${port}${READY_PATH}`);
        const until = Date.now() + 60_000;
        let reason: unknown;
        while (ready.status !== 200 && Date.now() < until) {
          expect(ready.status).toBe(503);
          // What is down, never an error text (that is in the log).
          reason = await ready.json();
          expect(reason).toMatchObject({ ready: false, down: expect.any(Array) });
          await new Promise((r) => setTimeout(r, 500));
          ready = await fetch(`http://127.0.0.1:${port}${READY_PATH}`);
        }
        if (ready.status !== 200) throw new Error(`not ready within 60 s; last answer: ${JSON.stringify(reason)}`);
        expect(await ready.json()).toEqual({ ready: true });

        child.kill('SIGTERM');
        expect(await exited(child, SHUTDOWN_BOUND_MS + 5_000)).toBe(0);
        // Exit 0 alone could be the framework's own SIGTERM handler (it exits at once, without
        // close()); the entry's log line proves the function was closed first.
        expect(output.join('')).toContain('closed cleanly');
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- output of ${target} ---\n${output.join('')}`);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
    180_000,
  );
});
