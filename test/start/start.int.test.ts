/**
 * `npm start` as a newcomer runs it: the embedded default (in-process bus, SQLite) comes up on a free
 * port with a temporary data folder, shows growing pageviews through the API, serves a dashboard
 * that renders in Chromium, stops cleanly on Ctrl-C (SIGINT), and keeps its counts across a restart.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, collectProblems, launchChromium } from '../e2e/harness';
import { getJson, startProduct, waitFor, type StartedProcess } from './harness';

interface Summary {
  metrics: { pageviews: number; visitors: number; visits: number };
}

const pageviewsOf = async (url: string): Promise<number> =>
  (await getJson<Summary>(`${url}api/v1/stats/summary?site=shop.example&period=7d`)).metrics.pageviews;

describe('npm start (embedded default)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wtm-start-'));
  let running: StartedProcess | undefined;

  afterAll(async () => {
    if (running !== undefined) await running.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, counts live traffic, renders the dashboard, stops on SIGINT and keeps its data', async () => {
    const args = ['--port', '0', '--data', dataDir, '--rate', '40', '--backfill-days', '1', '--backfill-visits', '200', '--no-status'];
    const first = await startProduct(args, { KAFKA_BROKERS: '', DATABASE_URL: '' });
    running = first;
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await waitFor('readiness', async () => ((await fetch(`${first.url}readyz`)).ok ? true : undefined), 60_000);

    // live traffic: the pageviews reported by the API grow
    const before = await waitFor(
      'first pageviews',
      async () => ((await pageviewsOf(first.url)) > 0 ? pageviewsOf(first.url) : undefined),
      120_000,
    );
    const later = await waitFor(
      'growing pageviews',
      async () => {
        const n = await pageviewsOf(first.url);
        return n > before ? n : undefined;
      },
      60_000,
    );
    expect(later).toBeGreaterThan(before);

    // the demo page renders in a real browser without console errors
    if (existsSync(CHROMIUM)) {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const problems = collectProblems(page);
        await page.goto(`${first.url}?site=shop.example`);
        await page.waitForFunction(() => customElements.get('wtm-dashboard') !== undefined, undefined, { timeout: 30_000 });
        // the KPI cards show the pageview count the API reports (formatted for the page's locale)
        await page
          .getByText(/pageviews/i)
          .first()
          .waitFor({ timeout: 30_000 });
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    } else {
      process.stderr.write(`⚠ npm start test: ${CHROMIUM} missing, the demo page was not loaded in Chromium\n`);
    }

    const lastSeen = await pageviewsOf(first.url);
    await first.stop('SIGINT');
    // the product itself (npm's grandchild) flushed and said so; npm may die of the signal itself
    expect(first.output()).toMatch(/stopped; data kept in/);
    expect(first.output()).not.toMatch(/forced exit|error while stopping/);

    // a restart keeps what was counted (no backfill the second time: the data is there)
    const second = await startProduct(['--port', '0', '--data', dataDir, '--rate', '0', '--backfill-days', '1', '--no-status'], {
      KAFKA_BROKERS: '',
      DATABASE_URL: '',
    });
    running = second;
    expect(second.output()).not.toMatch(/first start/);
    const afterRestart = await waitFor('API after restart', () => pageviewsOf(second.url), 60_000);
    expect(afterRestart).toBeGreaterThanOrEqual(lastSeen);
    await second.stop('SIGINT');
    expect(second.output()).toMatch(/stopped; data kept in/);
  });
});
