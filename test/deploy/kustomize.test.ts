/**
 * The test renderer against the real thing: where `kustomize` or `kubectl kustomize` is on PATH,
 * every kustomization must render to the same resources with both. Where neither is (a fresh CI
 * machine: no registry CI reaches ships one), that comparison is skipped with a loud line.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyJson6902, imageName, KustomizeError, render, resourceId, type Json, type Resource } from './kustomize';
import { KUSTOMIZATIONS, ROOT } from './repo';

function realKustomize(): ((dir: string) => string) | undefined {
  const candidates: [string, string[]][] = [
    ['kustomize', ['build']],
    ['kubectl', ['kustomize']],
  ];
  for (const [cmd, args] of candidates) {
    try {
      execFileSync(cmd, [...args, '--help'], { stdio: 'pipe', timeout: 20_000 });
      return (dir) => execFileSync(cmd, [...args, dir], { encoding: 'utf8', timeout: 60_000 });
    } catch {
      // not installed
    }
  }
  return undefined;
}

/** Sorted by id; Secret data without the line breaks kustomize puts into long base64 values. */
function normalise(resources: Resource[]): Resource[] {
  const out = resources.map((r) => {
    const copy = structuredClone(r);
    if (copy.kind === 'Secret' && typeof copy.data === 'object' && copy.data !== null && !Array.isArray(copy.data)) {
      for (const [k, v] of Object.entries(copy.data)) if (typeof v === 'string') copy.data[k] = v.replace(/\s+/g, '');
    }
    return copy;
  });
  return out.sort((a, b) => resourceId(a).localeCompare(resourceId(b)));
}

const kustomize = realKustomize();
if (kustomize === undefined) {
  process.stderr.write('\n⚠ SKIPPED comparison with the real kustomize: neither `kustomize` nor `kubectl` is on PATH\n');
}
(kustomize === undefined ? describe.skip : describe)('the test renderer matches the real kustomize', () => {
  it.each(KUSTOMIZATIONS)('%s', (k) => {
    const real = parseAllDocuments(kustomize?.(resolve(ROOT, k)) ?? '')
      .map((d) => d.toJSON() as Json)
      .filter((d): d is Resource => d !== null);
    expect(normalise(render(resolve(ROOT, k)))).toEqual(normalise(real));
  });
});

describe('the test renderer', () => {
  it('applies JSON6902 add/replace/remove and fails a failing test op', () => {
    const doc: Json = { a: { list: [1, 2], x: 'y' } };
    expect(
      applyJson6902(doc, [
        { op: 'add', path: '/a/list/-', value: 3 },
        { op: 'replace', path: '/a/x', value: 'z' },
        { op: 'remove', path: '/a/list/0' },
        { op: 'add', path: '/a/b~1c', value: true },
      ]),
    ).toEqual({ a: { list: [2, 3], x: 'z', 'b/c': true } });
    expect(() => applyJson6902(doc, [{ op: 'test', path: '/a/x', value: 'nope' }])).toThrow(KustomizeError);
    expect(() => applyJson6902(doc, [{ op: 'replace', path: '/a/missing', value: 1 }])).toThrow(KustomizeError);
  });

  it('reads image names with registry ports, tags and digests', () => {
    expect(imageName('ghcr.io/webtrafficmonitor/wtm:0.1.0')).toBe('ghcr.io/webtrafficmonitor/wtm');
    expect(imageName('localhost:5000/wtm')).toBe('localhost:5000/wtm');
    expect(imageName('localhost:5000/wtm:1@sha256:abc')).toBe('localhost:5000/wtm');
  });
});
