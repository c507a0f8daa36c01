/**
 * Which environment variables a deployed function reads, found statically in its module graph:
 * start at `functions/<name>/function.ts` (what functions/index.ts loads), follow relative imports
 * (so shared code in functions/lib and events counts only when the function really uses it, and
 * CLIs, tests and the kafkajs runners do not), and collect in each file:
 *   - `env.NAME`, `env?.NAME`, `env['NAME']`, `process.env.NAME`;
 *   - `envHelper(env, 'NAME', …)` / `parseX(value, 'NAME')` calls (functions/lib/config.ts helpers);
 *   - helpers called without a name, which read their default (`envLogLevel(env)` → LOG_LEVEL),
 *     taken from the helper's own `name = 'NAME'` parameter.
 * Dynamic names (`env[name]`) are not followed; the helpers that use them are covered by the rules above.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './repo';

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const MEMBER = /\benv(?:\?)?\.([A-Z][A-Z0-9_]*)\b/g;
const INDEX = /\benv\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g;
const HELPER_CALL = /\b((?:env|parse)[A-Z]\w*)\(\s*[\w.?]+\s*,\s*['"]([A-Z][A-Z0-9_]*)['"]/g;
const HELPER_DEFAULT = /export\s+function\s+(\w+)\s*\([^)]*\bname\s*=\s*['"]([A-Z][A-Z0-9_]*)['"]/g;

function resolveModule(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The function's own files plus the shared files it imports, transitively (paths relative to the repo). */
export function moduleGraph(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop();
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      const target = spec === undefined ? undefined : resolveModule(file, spec);
      if (target !== undefined && !target.endsWith('.test.ts')) queue.push(target);
    }
  }
  return [...seen].map((f) => relative(ROOT, f)).sort();
}

/** Names read in one source text; `defaults` maps helper → the variable it reads when not given one. */
export function envNamesIn(text: string, defaults: ReadonlyMap<string, string>): Set<string> {
  const names = new Set<string>();
  for (const re of [MEMBER, INDEX]) for (const m of text.matchAll(re)) if (m[1] !== undefined) names.add(m[1]);
  for (const m of text.matchAll(HELPER_CALL)) if (m[2] !== undefined) names.add(m[2]);
  for (const [helper, name] of defaults) {
    // A call with a single argument uses the default name.
    if (new RegExp(`\\b${helper}\\(\\s*[\\w.?]+\\s*\\)`).test(text)) names.add(name);
  }
  return names;
}

export function helperDefaults(files: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    for (const m of readFileSync(resolve(ROOT, f), 'utf8').matchAll(HELPER_DEFAULT)) {
      if (m[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
    }
  }
  return out;
}

/** Every variable read by the module graph of `entry` (e.g. functions/query/function.ts), with the files that read it. */
export function envReads(entry: string): Map<string, string[]> {
  const files = moduleGraph(entry);
  const defaults = helperDefaults(files);
  const out = new Map<string, string[]>();
  for (const f of files) {
    for (const v of envNamesIn(readFileSync(resolve(ROOT, f), 'utf8'), defaults)) out.set(v, [...(out.get(v) ?? []), f]);
  }
  return out;
}
