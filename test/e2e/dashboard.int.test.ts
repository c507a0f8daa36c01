/**
 * The dashboard in real headless Chromium against the real query function over MySQL/MariaDB with
 * seeded storage v2 (facts, rollups, sketches): what it shows must be what the API answers, filtered
 * or not. The API answers are typed with the server's own response types. Screenshots go to
 * test/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createDatabase, type Database } from '../../functions/lib/db';
import { describeWithServices } from '../services';
import type { BreakdownResponse, SummaryResponse, TimeseriesResponse } from '../../functions/query/shape';
import { formatMetric } from '../../web/src/format';
import { buildBundle, closedPortUrl, collectProblems, eventually, launchChromium, ROOT, startQueryServer } from './harness';
import { HOSTILE_PAGE, seedSites } from './seed';

const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const TOKEN = 'e2e-secret-token';
// Browser steps wait for the page (up to 20 s each in `eventually`); jest's 5 s default is too short.
jest.setTimeout(120_000);

const KPI_METRICS = ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration', 'views_per_visit'] as const;

describeWithServices('dashboard in Chromium', ['mysql'], (services) => {
  let db: Database;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    buildBundle();
    mkdirSync(ARTIFACTS, { recursive: true });
    db = createDatabase({ url: services().databaseUrl });
    await db.migrate();
    await seedSites(db, [
      { hostname: 'shop.example', timezone: 'Europe/Berlin', isPublic: true, scale: 1 },
      { hostname: 'blog.example', timezone: 'UTC', isPublic: true, scale: 0.3 },
      { hostname: 'private.example', timezone: 'America/New_York', isPublic: false, token: TOKEN, scale: 0.5 },
      { hostname: 'new.example', timezone: 'UTC', isPublic: true, scale: 0 },
    ]);
    server = await startQueryServer(db);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  });
  afterEach(async () => {
    await context.close();
  });

  async function api<T>(path: string, token?: string): Promise<T> {
    const res = await fetch(`${server.url}/api/v1/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  async function kpiTexts(page: Page): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const m of KPI_METRICS) out[m] = (await page.locator(`wtm-kpis [data-metric="${m}"]`).textContent())?.trim() ?? '';
    return out;
  }

  function expectedKpis(summary: SummaryResponse): Record<string, string> {
    return Object.fromEntries(KPI_METRICS.map((m) => [m, formatMetric(m, summary.metrics[m], 'en')]));
  }

  it('shows the API’s KPIs, follows the period and metric switches, and lists the top pages', async () => {
    const page = await context.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/?site=shop.example`);

    const summary7 = await api<SummaryResponse>('stats/summary?site=shop.example&period=7d');
    expect(summary7.metrics.visitors).toBeGreaterThan(0);
    await page.locator('wtm-kpis [data-metric="visitors"]').waitFor();
    expect(await kpiTexts(page)).toEqual(expectedKpis(summary7));

    // Chart: one data-table row per day of the period, and the line is drawn.
    const rows = page.locator('wtm-timeseries table tbody tr');
    await eventually(
      () => rows.count(),
      (v) => expect(v).toBe(7),
    );
    const series7 = await api<TimeseriesResponse>('stats/timeseries?site=shop.example&period=7d&metrics=visitors');
    const firstCell = series7.buckets[0]?.visitors ?? -1;
    expect(await rows.first().locator('td').textContent()).toBe(formatMetric('visitors', firstCell, 'en'));
    const visitorsPath = await page.locator('wtm-timeseries path.line').getAttribute('d');
    expect(visitorsPath).toMatch(/^M/);

    // Metric switch: the chart now draws pageviews.
    await page.locator('wtm-timeseries .switch button', { hasText: 'Pageviews' }).click();
    await eventually(
      () => page.locator('wtm-timeseries h3').textContent(),
      (v) => expect(v).toBe('Pageviews'),
    );
    const series7pv = await api<TimeseriesResponse>('stats/timeseries?site=shop.example&period=7d&metrics=pageviews');
    await eventually(
      () => rows.first().locator('td').textContent(),
      (v) => expect(v).toBe(formatMetric('pageviews', series7pv.buckets[0]?.pageviews ?? -1, 'en')),
    );
    expect(await page.locator('wtm-timeseries path.line').getAttribute('d')).not.toBe(visitorsPath);

    // Keyboard access: focusing the chart and pressing → shows the tooltip for the first bucket.
    await page.locator('wtm-timeseries svg[part="chart"]').focus();
    await page.keyboard.press('ArrowRight');
    await eventually(
      () => page.locator('wtm-timeseries [part="tooltip"] strong').textContent(),
      (v) => expect(v).toBe(formatMetric('pageviews', series7pv.buckets[0]?.pageviews ?? -1, 'en')),
    );

    // Breakdown: the pages panel lists the API's top pages in its order, and "More" adds the next page.
    const pages1 = await api<BreakdownResponse>('stats/breakdown?site=shop.example&period=7d&dimension=page&limit=10&page=1');
    const pageRows = page.locator('wtm-breakdown[dimension="page"] li .value');
    await eventually(
      () => pageRows.allTextContents(),
      (v) => expect(v).toEqual(pages1.results.map((r) => r.value)),
    );
    expect(pages1.results[0]?.value).toBe('/');
    expect(pages1.has_more).toBe(true);
    await page.locator('wtm-breakdown[dimension="page"] button.more').click();
    const pages2 = await api<BreakdownResponse>('stats/breakdown?site=shop.example&period=7d&dimension=page&limit=10&page=2');
    await eventually(
      () => pageRows.count(),
      (v) => expect(v).toBe(10 + pages2.results.length),
    );

    // The hostile path is text: shown literally, nothing ran, no element was injected.
    await eventually(
      () => page.locator('wtm-breakdown[dimension="page"] li .value', { hasText: HOSTILE_PAGE }).count(),
      (v) => expect(v).toBe(1),
    );
    expect(await page.evaluate(() => (window as unknown as { __wtmXss?: number }).__wtmXss)).toBeUndefined();
    const injected = await page.evaluate(() => {
      const walk = (root: Document | ShadowRoot): number =>
        root.querySelectorAll('img, b, script:not([type="module"])').length +
        [...root.querySelectorAll('*')].reduce((n, el) => n + (el.shadowRoot ? walk(el.shadowRoot) : 0), 0);
      return walk(document);
    });
    expect(injected).toBe(0);

    // Period switch: KPIs and chart follow 30 days.
    await page.locator('wtm-period-picker select').selectOption('30d');
    await eventually(
      () => rows.count(),
      (v) => expect(v).toBe(30),
    );
    const summary30 = await api<SummaryResponse>('stats/summary?site=shop.example&period=30d');
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(summary30)),
    );
    expect(summary30.metrics.visitors).not.toBe(summary7.metrics.visitors);
    expect(page.url()).toContain('period=30d');

    // Custom range: from the 30-day period's first day to the 7-day period's first day, inclusive.
    const from = summary30.range.from.slice(0, 10);
    const to = summary7.range.from.slice(0, 10);
    await page.locator('wtm-period-picker select').selectOption('custom');
    await page.locator('wtm-period-picker input[aria-label="From"]').fill(from);
    await page.locator('wtm-period-picker input[aria-label="To"]').fill(to);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    await eventually(
      () => rows.count(),
      (v) => expect(v).toBe(days),
    );
    const custom = await api<SummaryResponse>(`stats/summary?site=shop.example&from=${from}&to=${to}`);
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(custom)),
    );
    expect(page.url()).toContain(`period=${from}..${to}`);

    // Site picker: two public sites are listed, switching shows the other one's figures.
    await page.locator('wtm-site-picker select').selectOption('blog.example');
    const blog = await api<SummaryResponse>(`stats/summary?site=blog.example&from=${from}&to=${to}`);
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(blog)),
    );

    expect(problems).toEqual([]);
  });

  it('defaults to the first listed site and tells a private site without or with a wrong token apart', async () => {
    const page = await context.newPage();
    // The browser logs the 401/403 responses themselves; anything else is a problem.
    const problems = collectProblems(page, (t) => /status of 40[13]/.test(t));
    const sites = await api<{ sites: { site: string }[] }>('sites');
    await page.goto(`${server.url}/`);
    await eventually(
      () => page.locator('wtm-dashboard h2').textContent(),
      (v) => expect(v).toBe(sites.sites[0]?.site),
    );

    // A site without traffic says so in every part instead of drawing zeros.
    await page.goto(`${server.url}/?site=new.example`);
    await eventually(
      () => page.locator('wtm-dashboard [part="empty"]').count(),
      (v) => expect(v).toBe(2 + 6),
    );
    expect(await page.locator('wtm-kpis [part="empty"]').textContent()).toBe('No data for this period');

    await page.goto(`${server.url}/?site=private.example`);
    await eventually(
      () => page.locator('wtm-kpis [part="error"]').textContent(),
      (v) => expect(v).toBe('This site is private: a token is needed.'),
    );
    await page.goto(`${server.url}/?site=private.example&token=wrong`);
    await eventually(
      () => page.locator('wtm-kpis [part="error"]').textContent(),
      (v) => expect(v).toBe('The token was not accepted.'),
    );
    await page.goto(`${server.url}/?site=private.example&token=${TOKEN}`);
    const summary = await api<SummaryResponse>('stats/summary?site=private.example&period=7d', TOKEN);
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(summary)),
    );
    expect(problems).toEqual([]);
  });

  it('embeds single elements in an article and says when the API cannot be reached', async () => {
    const page = await context.newPage();
    const problems = collectProblems(page, (t) => t.includes('ERR_CONNECTION_REFUSED'));
    await page.goto(`${server.url}/embed.html?site=shop.example`);
    const summary = await api<SummaryResponse>('stats/summary?site=shop.example&period=7d');
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(summary)),
    );
    const realtime = await api<{ visitors: number }>('stats/realtime?site=shop.example');
    await eventually(
      () => page.locator('wtm-realtime [part="value"]').textContent(),
      (v) => expect(v).toBe(formatMetric('visitors', realtime.visitors, 'en')),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'embed-light.png'), fullPage: true });

    // The nearest lang attribute picks the number format.
    await page.evaluate(() => {
      const el = document.createElement('wtm-kpis');
      el.id = 'german';
      el.setAttribute('lang', 'de');
      el.setAttribute('site', 'shop.example');
      document.body.append(el);
    });
    await eventually(
      () => page.locator('#german [data-metric="bounce_rate"]').textContent(),
      (v) => expect(v).toBe(formatMetric('bounce_rate', summary.metrics.bounce_rate, 'de')),
    );
    expect(formatMetric('bounce_rate', summary.metrics.bounce_rate, 'de')).not.toBe(
      formatMetric('bounce_rate', summary.metrics.bounce_rate, 'en'),
    );

    const closed = await closedPortUrl();
    await page.evaluate((api) => {
      const el = document.createElement('wtm-kpis');
      el.id = 'unreachable';
      el.setAttribute('api', api);
      el.setAttribute('site', 'shop.example');
      document.body.append(el);
    }, closed);
    await eventually(
      () => page.locator('#unreachable [part="error"]').textContent(),
      (v) => expect(v).toBe(`Could not reach the API at ${closed}.`),
    );
    expect(problems).toEqual([]);
  });

  it('live refresh shows new traffic without a reload, past the browser cache', async () => {
    const page = await context.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/?site=blog.example&refresh=5`);
    const before = await api<SummaryResponse>('stats/summary?site=blog.example&period=7d');
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(before)),
    );
    // More pageviews today, as the aggregate function would add them.
    await db.sequelize.query(
      `UPDATE rollups SET pageviews = pageviews + 1000
       WHERE site_id = (SELECT id FROM sites WHERE hostname = 'blog.example') AND grain = 'd' AND dimension = ''
       ORDER BY bucket DESC LIMIT 1`,
    );
    const after = await api<SummaryResponse>('stats/summary?site=blog.example&period=7d');
    expect(after.metrics.pageviews).toBe(before.metrics.pageviews + 1000);
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(after)),
    );
    expect(problems).toEqual([]);
  });

  it.each([
    ['light', 1280],
    ['dark', 1280],
    ['light', 390],
    ['dark', 390],
  ] as const)('renders the %s theme at %d px without errors (screenshot)', async (theme, width) => {
    const ctx = await browser.newContext({ locale: 'en-US', viewport: { width, height: 900 }, colorScheme: theme });
    const page = await ctx.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/?site=shop.example`);
    await page.locator('wtm-timeseries path.line').waitFor();
    // Every panel has loaded (no skeleton left) before the screenshot.
    await eventually(
      () => page.locator('wtm-dashboard [aria-busy="true"]').count(),
      (v) => expect(v).toBe(0),
    );
    expect(await page.locator('wtm-breakdown li').count()).toBeGreaterThan(20);
    // Nothing may be wider than the viewport (a narrow phone must not scroll sideways).
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    const background = await page.evaluate(() => getComputedStyle(document.querySelector('wtm-dashboard')!).backgroundColor);
    expect(background).toBe(theme === 'dark' ? 'rgb(29, 33, 39)' : 'rgb(247, 248, 250)');
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${theme}-${width}.png`), fullPage: true });
    expect(problems).toEqual([]);
    await ctx.close();
  });
});
