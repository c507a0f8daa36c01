/**
 * The tracker end to end, in real Chromium, against the real services (Kafka, MariaDB):
 *
 *   1. a test site (its own origin) self-hosts the tracker bundle and sends to the collect function
 *      (functions-framework on the bundle, as in the container) → Kafka → npm start's enrich and
 *      aggregate runners → MySQL → the stats API;
 *   2. a test site loads the tracker from `npm start` and sends to it (cross-origin, CORS);
 *   3. npm start's own example-site page counts its own visit.
 *
 * On each site page the test loads the page, navigates twice by pushState, follows a download link
 * and an outbound link (new tab), fires a custom event with props and reloads. The stats API must
 * then show exactly those pageviews and events, one visit, the right entry and exit pages; the raw
 * topic shows what the browser sent (engagement events included, which change no count).
 *
 * Playwright sets navigator.webdriver, which the tracker skips: the tags carry its documented test
 * switch data-allow-automation (and data-allow-localhost, as the site runs on 127.0.0.1).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeWithServices, freePort, runId } from '../services';
import { getJson, startProduct, waitFor, type StartedProcess } from '../start/harness';
import { buildFunctions, readRawTopic, startCollect, type RunningCollect } from '../collect/harness';
import { buildBundle, collectProblems, launchChromium, ROOT } from './harness';

const SITE_FN = 'e2e-fn.example';
/** Headless Chromium says "HeadlessChrome", which isbot (rightly) counts as a bot: browse as a person's Chrome. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const SITE_START = 'e2e-start.example';

interface Summary {
  metrics: { pageviews: number; visits: number; events: number; bounce_rate: number };
}
interface Breakdown {
  results: { value: string; visits: number | null; pageviews: number | null; events: number | null }[];
}

/** The test site: one HTML page for every path (a single-page app), a PDF, and the tracker bundle. */
function siteHtml(tag: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Test site</title>
<script>window.wtm = window.wtm || function () { (window.wtm.q = window.wtm.q || []).push(arguments); };</script>
${tag}
</head><body style="min-height: 3000px">
<a id="to-pricing" href="/pricing">Pricing</a> <a id="to-docs" href="/docs">Docs</a>
<a id="download" href="/files/report.pdf" download>Report</a>
<a id="outbound" href="https://example.org/elsewhere" target="_blank" rel="noopener">Elsewhere</a>
<button id="signup" type="button">Sign up</button>
<script>
for (const id of ['to-pricing', 'to-docs']) document.getElementById(id).addEventListener('click', (e) => {
  e.preventDefault();
  history.pushState({}, '', e.currentTarget.getAttribute('href'));
});
document.getElementById('signup').addEventListener('click', () => wtm('signup', { props: { plan: 'pro' } }));
</script></body></html>`;
}

async function startSite(tag: string, trackerFile: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/script.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(readFileSync(trackerFile));
    } else if (path === '/files/report.pdf') {
      res.writeHead(200, { 'Content-Type': 'application/pdf' });
      res.end('%PDF-1.4\n%%EOF\n');
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(siteHtml(tag));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** The journey: load, pushState twice, download, outbound link (new tab), custom event, reload. */
async function journey(browser: Browser, siteUrl: string, apiPath: RegExp): Promise<{ problems: string[]; statuses: number[] }> {
  const context = await browser.newContext({ acceptDownloads: true, userAgent: USER_AGENT });
  // The outbound site is not on this machine's network: answer it locally.
  await context.route('https://example.org/**', (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<p>elsewhere</p>' }));
  const page: Page = await context.newPage();
  const problems = collectProblems(page);
  const statuses: number[] = [];
  // pageviews and custom events answered so far (engagement reports come in between and are not counted)
  let answered = 0;
  page.on('response', (r) => {
    if (!apiPath.test(r.url()) || r.request().method() !== 'POST') return;
    statuses.push(r.status());
    if ((JSON.parse(r.request().postData() ?? '{}') as { n?: string }).n !== 'engagement') answered++;
  });
  const sent = (n: number) => waitFor(`${n} events sent`, async () => (answered >= n ? true : undefined), 15_000, 50);
  await page.goto(`${siteUrl}/`);
  await sent(1);
  await page.click('#to-pricing');
  await sent(2);
  await page.mouse.wheel(0, 1500);
  await page.click('#to-docs');
  await sent(3);
  const download = page.waitForEvent('download');
  await page.click('#download');
  await download;
  await sent(4);
  const popup = page.waitForEvent('popup');
  await page.click('#outbound');
  await (await popup).close();
  await sent(5);
  await page.click('#signup');
  await sent(6);
  await page.reload();
  await sent(7);
  await context.close();
  return { problems, statuses };
}

describeWithServices('the tracker in Chromium, end to end', ['kafka', 'mysql'], (services) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wtm-tracker-e2e-'));
  const outdir = join(ROOT, 'dist', `tracker-e2e-${runId()}`);
  let product: StartedProcess | undefined;
  let collect: RunningCollect | undefined;
  let browser: Browser | undefined;
  const sites: Server[] = [];

  beforeAll(async () => {
    buildBundle();
    const bundle = buildFunctions(outdir);
    const { brokers, databaseUrl, topicPrefix } = services();
    const env = { KAFKA_BROKERS: brokers.join(','), WTM_TOPIC_PREFIX: topicPrefix };
    product = await startProduct(
      ['--port', '0', '--data', dataDir, '--no-simulate', '--site', SITE_FN, '--site', SITE_START, '--no-status'],
      {
        ...env,
        DATABASE_URL: databaseUrl,
        WTM_SALT_SECRET: 'tracker-e2e-secret-0123456789',
      },
    );
    collect = await startCollect(bundle, await freePort(), { ...env, WTM_COLLECT_RATE: '0' });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await collect?.stop();
    if (product !== undefined) await product.stop('SIGINT');
    for (const s of sites) s.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  });

  const api = (path: string) => `${product!.url}api/v1/${path}`;

  async function expectExactStats(site: string): Promise<void> {
    const q = `site=${site}&period=today`;
    await waitFor(
      `the stats of ${site}`,
      async () => {
        const s = await getJson<Summary>(api(`stats/summary?${q}`));
        return s.metrics.pageviews >= 4 && s.metrics.events >= 3 ? s : undefined;
      },
      60_000,
    );
    // a little longer: nothing more may arrive (engagement events change no count)
    await new Promise((r) => setTimeout(r, 3_000));
    const summary = await getJson<Summary>(api(`stats/summary?${q}`));
    expect(summary.metrics).toMatchObject({ pageviews: 4, events: 3, visits: 1, bounce_rate: 0 });
    const rows = async (dimension: string) => (await getJson<Breakdown>(api(`stats/breakdown?${q}&dimension=${dimension}`))).results;
    expect((await rows('entry_page')).filter((r) => (r.visits ?? 0) > 0).map((r) => [r.value, r.visits])).toEqual([['/', 1]]);
    expect((await rows('exit_page')).filter((r) => (r.visits ?? 0) > 0).map((r) => [r.value, r.visits])).toEqual([['/docs', 1]]);
    expect((await rows('page')).map((r) => [r.value, r.pageviews]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['/', 1],
      ['/docs', 2],
      ['/pricing', 1],
    ]);
    expect((await rows('event')).map((r) => [r.value, r.events]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['File Download', 1],
      ['Outbound Link: Click', 1],
      ['signup', 1],
    ]);
  }

  async function expectRaw(site: string, origin: string): Promise<void> {
    const raw = (await readRawTopic(services().brokers, services().topics.raw, 7, 2_000)).filter((e) => e.data.site === site);
    const counted = raw.filter((e) => e.data.kind !== 'engagement');
    expect(counted.map((e) => [e.data.kind, new URL(e.data.url).pathname, e.data.kind === 'event' ? e.data.name : ''])).toEqual([
      ['pageview', '/', ''],
      ['pageview', '/pricing', ''],
      ['pageview', '/docs', ''],
      ['event', '/docs', 'File Download'],
      ['event', '/docs', 'Outbound Link: Click'],
      ['event', '/docs', 'signup'],
      ['pageview', '/docs', ''],
    ]);
    const props = counted.flatMap((e) => (e.data.kind === 'event' ? [e.data.props] : []));
    expect(props).toEqual([{ url: `${origin}/files/report.pdf` }, { url: 'https://example.org/elsewhere' }, { plan: 'pro' }]);
    // left pages report engagement: scroll depth in percent and engaged milliseconds
    const engagement = raw.filter((e) => e.data.kind === 'engagement');
    expect(engagement.length).toBeGreaterThanOrEqual(1);
    for (const e of engagement) {
      if (e.data.kind !== 'engagement') continue;
      expect(e.data.scrollDepth).toBeGreaterThanOrEqual(0);
      expect(e.data.scrollDepth).toBeLessThanOrEqual(100);
      expect(e.data.engagementMs).toBeGreaterThan(0);
    }
    expect(
      engagement.some((e) => e.data.kind === 'engagement' && new URL(e.data.url).pathname === '/pricing' && (e.data.scrollDepth ?? 0) > 30),
    ).toBe(true);
  }

  it('a site that self-hosts the tracker and sends to the collect function', async () => {
    const tag = `<script defer data-domain="${SITE_FN}" data-api="${collect!.url}/api/event" data-allow-localhost data-allow-automation data-outbound-links data-file-downloads src="/script.js"></script>`;
    const site = await startSite(tag, join(ROOT, 'web', 'dist', 'script.js'));
    sites.push(site.server);
    const { problems, statuses } = await journey(browser!, site.url, /\/api\/event$/);
    expect(problems).toEqual([]);
    expect(statuses.every((s) => s === 202)).toBe(true);
    await expectRaw(SITE_FN, site.url);
    await expectExactStats(SITE_FN);
  }, 180_000);

  it('a site that loads the tracker from npm start (cross-origin) and sends to it', async () => {
    const startOrigin = product!.url.replace(/\/$/, '');
    const tag = `<script defer data-domain="${SITE_START}" data-allow-localhost data-allow-automation data-outbound-links data-file-downloads src="${startOrigin}/js/script.js"></script>`;
    const site = await startSite(tag, join(ROOT, 'web', 'dist', 'script.js'));
    sites.push(site.server);
    const { problems, statuses } = await journey(browser!, site.url, /\/api\/event$/);
    expect(problems).toEqual([]);
    expect(statuses.every((s) => s === 202)).toBe(true);
    await expectRaw(SITE_START, site.url);
    await expectExactStats(SITE_START);
  }, 180_000);

  it("npm start's example-site page counts its own visit, and the tracker skips automation without the switch", async () => {
    const context = await browser!.newContext({ userAgent: USER_AGENT });
    const page = await context.newPage();
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/event')) posts.push(r.postData() ?? '');
    });
    // the example page has no test switch: under automation it must send nothing…
    await page.goto(`${product!.url}example-site.html`);
    await page.waitForFunction(
      () => typeof (window as Window & { wtm?: unknown }).wtm === 'function' && !('q' in (window as Window & { wtm?: object }).wtm!),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(posts).toEqual([]);
    // …and with navigator.webdriver hidden (as a person's browser) it counts itself
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false }));
    await page.reload();
    await page.click('#signup');
    await waitFor('two events', async () => (posts.length >= 2 ? true : undefined), 15_000, 50);
    expect(posts.map((p) => (JSON.parse(p) as { n: string }).n)).toEqual(['pageview', 'signup']);
    await waitFor(
      'the example page to show its own pageview',
      async () => {
        const text = await page.locator('#stats').innerText();
        return /pageviews\s+1\b/.test(text) && /custom events\s+1\b/.test(text) ? true : undefined;
      },
      90_000,
    );
    await context.close();
  }, 180_000);
});
