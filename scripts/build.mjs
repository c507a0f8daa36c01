// `npm run build`: bundles web/src/index.ts (lit and the d3 modules included) into web/dist/wtm.js
// (readable ES module) and web/dist/wtm.min.js, prints gzipped sizes, and writes
// web/dist/custom-elements.json with @custom-elements-manifest/analyzer. It also bundles the tracker
// (web/tracker/script.ts → web/dist/script.js, served at /js/script.js), prints its gzipped size and
// fails when that is over TRACKER_MAX_GZIP_BYTES: the tracker's promise is "under 1 KB".
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'web', 'dist');
mkdirSync(outdir, { recursive: true });

const common = {
  entryPoints: [join(root, 'web', 'src', 'index.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  // Lit's decorators are the legacy (experimentalDecorators) kind, as in tsconfig.json.
  tsconfig: join(root, 'tsconfig.json'),
  legalComments: 'eof',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

await build({ ...common, outfile: join(outdir, 'wtm.js'), sourcemap: 'linked' });
await build({ ...common, outfile: join(outdir, 'wtm.min.js'), minify: true, sourcemap: 'linked' });

// The tracker: a classic script (IIFE, no module), minified; no tsconfig, so no "use strict" prologue
// (the bundle is strict-safe either way) and nothing else costs bytes.
const TRACKER_MAX_GZIP_BYTES = 1024;
await build({
  entryPoints: [join(root, 'web', 'tracker', 'script.ts')],
  bundle: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  minify: true,
  tsconfigRaw: '{}',
  legalComments: 'none',
  logLevel: 'warning',
  outfile: join(outdir, 'script.js'),
});
const trackerGzip = gzipSync(readFileSync(join(outdir, 'script.js')), { level: 9 }).length;
console.log(
  `web/dist/script.js (the tracker, /js/script.js): ${readFileSync(join(outdir, 'script.js')).length} bytes, gzipped ${trackerGzip} bytes`,
);
if (trackerGzip > TRACKER_MAX_GZIP_BYTES) {
  console.error(`the tracker is ${trackerGzip} bytes gzipped, over its budget of ${TRACKER_MAX_GZIP_BYTES}: make it smaller`);
  process.exit(1);
}

for (const name of ['wtm.js', 'wtm.min.js']) {
  const bytes = readFileSync(join(outdir, name));
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`web/dist/${name}: ${kb(bytes.length)}, gzipped ${kb(gzipSync(bytes, { level: 9 }).length)}`);
}

// The analyzer reads JSDoc (@fires, @csspart) and decorators from the sources.
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', '@custom-elements-manifest', 'analyzer', 'cem.js'),
    'analyze',
    '--litelement',
    '--globs',
    'web/src/**/*.ts',
    '--exclude',
    'web/src/**/*.test.ts',
    '--outdir',
    'web/dist',
    '--quiet',
  ],
  { cwd: root, stdio: 'inherit' },
);
console.log('web/dist/custom-elements.json written');
