import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStaticFiles, isTrackerPath } from './static-files';

describe('isTrackerPath', () => {
  it.each([
    ['/js/script.js', true],
    ['/js/script.hash.js', true],
    ['/js/script.hash.outbound-links.file-downloads.js', true],
    ['/js/script.JS', false],
    ['/js/../script.js', false],
    ['/js/script..js', false],
    ['/script.js', false],
    ['/js/other.js', false],
  ])('%s → %s', (path, want) => {
    expect(isTrackerPath(path)).toBe(want);
  });
});

describe('createStaticFiles', () => {
  const root = mkdtempSync(join(tmpdir(), 'wtm-static-'));
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'demo'));
  writeFileSync(join(root, 'dist', 'script.js'), 'tracker();');
  writeFileSync(join(root, 'demo', 'index.html'), '<!doctype html><p>demo</p>');
  const files = createStaticFiles({ webRoot: root });

  it('serves the tracker under every Plausible name, loadable from any origin, cached an hour', async () => {
    for (const path of ['/js/script.js', '/js/script.hash.outbound-links.js']) {
      const f = await files.get(path);
      expect(f?.body.toString()).toBe('tracker();');
      expect(f?.contentType).toMatch(/^text\/javascript/);
      expect(f?.headers['Access-Control-Allow-Origin']).toBe('*');
      expect(f?.maxAge).toBe(3600);
    }
  });

  it('serves pages with their policy headers and the default cache', async () => {
    const f = await files.get('/');
    expect(f?.body.toString()).toContain('demo');
    expect(f?.headers['Content-Security-Policy']).toContain("default-src 'none'");
    expect(f?.maxAge).toBeUndefined();
    expect(await files.get('/js/../index.html')).toBeUndefined();
  });
});
