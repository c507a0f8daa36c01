/**
 * Web: the dashboard bundle's size and the dashboard's time to first render.
 *
 * - Size: `node scripts/build.mjs`, then web/dist/wtm.min.js gzipped (level 9); baseline = the same file
 *   uncompressed (ratio = what gzip leaves).
 * - First render: headless Chromium (/usr/bin/chromium via playwright-core) loads the demo page `/`
 *   (`<wtm-dashboard>`) from the query function on node:http over a seeded MariaDB database (the e2e
 *   suite's seed), a fresh browser context per load (no cache). Rendered = the KPI tiles show numbers, the
 *   timeseries chart has drawn its path and the pages breakdown has a row. Timed from `goto` to that.
 *   Baseline in the same run: a page on the same origin that fetches exactly the API URLs the dashboard
 *   requested, with plain `fetch`, and is done when every body is read. BENCH_WEB_LOADS (default 10).
 *
 *   npx tsx bench/web.ts
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { createDatabase } from '../functions/lib/db';
import { startQueryServer } from '../test/e2e/harness';
import { seedSites } from '../test/e2e/seed';
import { createTestDatabase, runId } from '../test/services';
import { figure, main, percentile, type Figure } from './figure';
import { benchEnv } from './harness';

const ROOT = join(__dirname, '..');

async function timeLoads(
  browser: Browser,
  loads: number,
  once: (page: import('playwright-core').Page) => Promise<void>,
): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i <= loads; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const t = performance.now();
    await once(page);
    if (i > 0) ms.push(performance.now() - t); // the first load warms the server (connections, JIT)
    await context.close();
  }
  return ms.sort((a, b) => a - b);
}

export async function run(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Figure[]> {
  const loads = Number(env.BENCH_WEB_LOADS ?? 10);
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  const min = readFileSync(join(ROOT, 'web', 'dist', 'wtm.min.js'));
  const figures: Figure[] = [figure('web.bundle.wtm_min_js.gzip', gzipSync(min, { level: 9 }).length / 1024, 'KiB', min.length / 1024, 1)];

  const database = await createTestDatabase(benchEnv(env).mysqlServerUrl, `wtm_bench_web_${runId()}`);
  const db = createDatabase({ url: database.url });
  let browser: Browser | undefined;
  let server: { url: string; close(): Promise<void> } | undefined;
  try {
    await db.migrate();
    await seedSites(db, [{ hostname: 'shop.example', timezone: 'Europe/Berlin', isPublic: true, scale: 1 }]);
    server = await startQueryServer(db);
    const base = server.url;
    browser = await chromium.launch({
      executablePath: env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const apiUrls = new Set<string>();
    const dashboard = await timeLoads(browser, loads, async (page) => {
      page.on('request', (r) => void (r.url().includes('/api/v1/') && apiUrls.add(r.url())));
      await page.goto(`${base}/?site=shop.example`);
      await page.locator('wtm-kpis [data-metric="pageviews"]').filter({ hasText: /\d/ }).waitFor();
      await page.locator('wtm-timeseries svg path').first().waitFor();
      await page.locator('wtm-breakdown').first().locator('tr, li, [role="row"]').first().waitFor();
    });
    const html = `<!doctype html><title>…</title><script type="module">
      await Promise.all(${JSON.stringify([...apiUrls])}.map((u) => fetch(u).then((r) => r.text())));
      document.title = 'done';
    </script>`;
    const plain = await timeLoads(browser, loads, async (page) => {
      await page.route(`${base}/bench-baseline.html`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
      await page.goto(`${base}/bench-baseline.html`);
      await page.waitForFunction(() => document.title === 'done');
    });
    figures.push(figure('web.dashboard.api_requests', apiUrls.size, 'requests', null, 0));
    for (const [q, p] of [
      ['p50', 0.5],
      ['p95', 0.95],
    ] as const) {
      figures.push(figure(`web.dashboard.first_render.${q}`, percentile(dashboard, p), 'ms', percentile(plain, p), 0));
    }
    return figures;
  } finally {
    await browser?.close();
    await server?.close();
    await db.close();
    await database.drop();
  }
}

if (require.main === module) main(() => run());
