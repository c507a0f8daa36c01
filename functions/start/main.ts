/**
 * `npm start`: the whole product in one process — generate (simulated traffic), enrich, aggregate
 * and query — with the same function cores and adapters as in production, connected by the
 * in-process bus (or Kafka with KAFKA_BROKERS), storing into SQLite (or MySQL with DATABASE_URL).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../lib/config';
import { errorMessage } from '../lib/errors';
import { parseStartConfig, START_HELP } from './config';
import { startProduct } from './product';

async function main(): Promise<void> {
  const parsed = parseStartConfig(process.argv.slice(2), process.env, process.stderr.isTTY === true);
  if (parsed.help) {
    process.stdout.write(`${START_HELP}\n`);
    return;
  }
  const config = parsed.config;
  ensureWebBundle();
  const product = await startProduct(config, { out: process.stdout, err: process.stderr });
  let stoppingSince = 0;
  const stop = (signal: string) => {
    if (stoppingSince > 0) {
      // Ctrl-C reaches both tsx and this process, and tsx relays it: only a later second signal forces.
      if (Date.now() - stoppingSince < 1500) return;
      process.stderr.write('\nforced exit\n');
      process.exit(130);
    }
    stoppingSince = Date.now();
    process.stderr.write(`\n${signal}: stopping, flushing what is buffered…\n`);
    product.stop().then(
      () => {
        process.stdout.write(`stopped; data kept in ${product.storage}\n`);
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`error while stopping: ${errorMessage(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Builds the dashboard bundle and the tracker when missing or older than their sources (a fresh clone has none). */
function ensureWebBundle(): void {
  const root = resolve(__dirname, '..', '..');
  const bundle = resolve(root, 'web', 'dist', 'wtm.js');
  const newest = (dir: string): number => {
    let t = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = resolve(dir, entry.name);
      t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  const src = resolve(root, 'web', 'src');
  if (!existsSync(src)) return; // an installed image ships the bundle only
  const tracker = resolve(root, 'web', 'dist', 'script.js');
  const trackerSrc = resolve(root, 'web', 'tracker');
  const fresh = (file: string, dir: string) => !existsSync(dir) || (existsSync(file) && statSync(file).mtimeMs >= newest(dir));
  if (fresh(bundle, src) && fresh(tracker, trackerSrc)) return;
  process.stderr.write('building the dashboard bundle (web/dist/wtm.js)…\n');
  execFileSync(process.execPath, [resolve(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

main().catch((e: unknown) => {
  process.stderr.write(`npm start: ${e instanceof ConfigError ? e.message : errorMessage(e)}\n`);
  process.exit(1);
});
