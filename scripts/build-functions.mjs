// Bundles the Functions Framework entry (functions/index.ts) and the migration CLI into
// dist/functions/*.js for the container image and the entrypoint test.
//
// Decision: every npm package stays external (`packages: 'external'`) and is installed in the
// image with `npm ci --omit=dev`. Bundling them buys little and breaks things: sequelize loads its
// dialect driver with a dynamic require, sqlite3 is a native addon, and the country database is an
// .mmdb file that its package locates on disk. So the bundle holds our own TypeScript only.
//
// Usage: node scripts/build-functions.mjs [--outdir dist/functions]
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--outdir');
const outdir = resolve(root, outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : 'dist/functions');

/** Output name → source. The migration CLI is written by the aggregate function; bundle it when present. */
const candidates = {
  index: 'functions/index.ts',
  'migrate-cli': 'functions/aggregate/migrate-cli.ts',
};
const entryPoints = {};
for (const [name, src] of Object.entries(candidates)) {
  if (existsSync(join(root, src))) entryPoints[name] = join(root, src);
  else if (name === 'index') throw new Error(`${src} is missing`);
  else console.warn(`build-functions: ${src} not found, ${name}.js not built`);
}

const result = await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // CommonJS: the Functions Framework loads --source with require().
  format: 'cjs',
  packages: 'external',
  sourcemap: 'linked',
  // No keepNames: unminified, esbuild keeps every name but a clashing one (`validate2`, which the linked
  // source map resolves), and keepNames wraps each closure made at run time in a defineProperty call,
  // which was 6 % of collect's CPU per request.
  logLevel: 'warning',
  metafile: true,
});
const outputs = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .map(([file, o]) => `${file} (${(o.bytes / 1024).toFixed(0)} KiB)`);
console.log(`build-functions: ${outputs.join(', ')}`);
