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
import type {
  BreakdownResponse,
  PropsResponse,
  RealtimeResponse,
  SummaryMetrics,
  SummaryResponse as ServerSummaryResponse,
  TimeseriesResponse,
} from '../../functions/query/shape';
import { formatMetric, formatPercent } from '../../web/src/format';
import { displayValue } from '../../web/src/shaping';
import { buildBundle, closedPortUrl, collectProblems, eventually, launchChromium, ROOT, startQueryServer } from './harness';
import { conversionRateOf, HOSTILE_PAGE, HOSTILE_PROP, seedGoals, seedSites, type SeededVisit } from './seed';

/** The summary as the filtered routes answer it: with a goal filter, conversions and conversion rate. */
type SummaryResponse = ServerSummaryResponse & { metrics: SummaryMetrics };

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
  let visitsBySite: Map<string, SeededVisit[]>;

  beforeAll(async () => {
    buildBundle();
    mkdirSync(ARTIFACTS, { recursive: true });
    db = createDatabase({ url: services().databaseUrl });
    await db.migrate();
    visitsBySite = await seedSites(db, [
      { hostname: 'shop.example', timezone: 'Europe/Berlin', isPublic: true, scale: 1 },
      { hostname: 'blog.example', timezone: 'UTC', isPublic: true, scale: 0.3 },
      { hostname: 'private.example', timezone: 'America/New_York', isPublic: false, token: TOKEN, scale: 0.5 },
      { hostname: 'new.example', timezone: 'UTC', isPublic: true, scale: 0 },
    ]);
    await seedGoals(db, 'shop.example');
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
    for (const m of KPI_METRICS) out[m] = (await page.locator(`wtm-kpis [data-metric="${m}"]`).first().textContent())?.trim() ?? '';
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
    // Without filters there are no chips (and no gap for them).
    expect(await page.locator('wtm-filter-bar .chip').count()).toBe(0);

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
    // Unfiltered pages carry engagement (time on page, scroll depth): the panel shows those columns.
    expect(pages1.results[0]?.time_on_page).toEqual(expect.any(Number));
    await eventually(
      () => page.locator('wtm-breakdown[dimension="page"] .cols span').allTextContents(),
      (v) => expect(v.map((t) => t.trim())).toEqual(['Pages', 'Visitors', 'Pageviews', 'Time', 'Scroll']),
    );
    await eventually(
      () => page.locator('wtm-dashboard [aria-busy="true"]').count(),
      (v) => expect(v).toBe(0),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-unfiltered.png'), fullPage: true });
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
      (v) => expect(v).toBe(2 + 6 + 2),
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
    await eventually(
      async () => [
        await page.locator('wtm-realtime [part="value"]').textContent(),
        formatMetric('visitors', (await api<RealtimeResponse>('stats/realtime?site=shop.example')).visitors, 'en'),
      ],
      ([shown, expected]) => expect(shown).toBe(expected),
    );
    // The `filters` attribute: the same tiles for visitors from Germany only.
    const germany = await api<SummaryResponse>(`stats/summary?site=shop.example&period=7d&filters=${encodeURIComponent('country==DE')}`);
    expect(germany.metrics.visitors).toBeLessThan(summary.metrics.visitors);
    await eventually(
      () => page.locator('#germany [data-metric="visitors"]').textContent(),
      (v) => expect(v).toBe(formatMetric('visitors', germany.metrics.visitors, 'en')),
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
    // The demo page's Content-Security-Policy allows requests to its own origin only (SECURITY.md), so the
    // browser refuses the request to another origin before it is sent; the element reports it the same way.
    // Those refusals name the unreachable URL; nothing else may appear.
    expect(problems.filter((p) => !p.includes(closed))).toEqual([]);
    expect(problems.some((p) => p.includes(closed) && p.includes('Content Security Policy'))).toBe(true);
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

  it('wtm-dashboard’s reload() loads every part again, past the browser cache', async () => {
    const page = await context.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/?site=blog.example`);
    const before = await api<SummaryResponse>('stats/summary?site=blog.example&period=7d');
    const sourcesBefore = await api<BreakdownResponse>('stats/breakdown?site=blog.example&period=7d&dimension=source&limit=10&page=1');
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(before)),
    );
    // New traffic from a new source today, in the totals and the source rollups.
    await db.sequelize.query(
      `UPDATE rollups SET pageviews = pageviews + 500
       WHERE site_id = (SELECT id FROM sites WHERE hostname = 'blog.example') AND grain = 'd' AND dimension = ''
       ORDER BY bucket DESC LIMIT 1`,
    );
    await db.sequelize.query(
      `INSERT INTO rollups (site_id, grain, dimension, bucket, value_key, value, visitors, pageviews, visits)
       SELECT site_id, grain, 'source', bucket, 'e2e-reload-0000', 'reload.example', 9999, 1, 1 FROM rollups
       WHERE site_id = (SELECT id FROM sites WHERE hostname = 'blog.example') AND grain = 'd' AND dimension = ''
       ORDER BY bucket DESC LIMIT 1`,
    );
    const after = await api<SummaryResponse>('stats/summary?site=blog.example&period=7d');
    expect(after.metrics.pageviews).toBe(before.metrics.pageviews + 500);
    expect(sourcesBefore.results.map((r) => r.value)).not.toContain('reload.example');
    await page.evaluate(() => document.querySelector('wtm-dashboard')?.reload());
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(after)),
    );
    await eventually(
      () => page.locator('wtm-breakdown[dimension="source"] li .value').first().textContent(),
      (v) => expect(v).toBe('reload.example'),
    );
    expect(problems).toEqual([]);
  });

  /** Row texts of every breakdown panel of the dashboard, by dimension attribute. */
  async function panelRows(page: Page): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const panel of await page.locator('wtm-dashboard wtm-breakdown, wtm-dashboard wtm-props').all()) {
      const dimension = (await panel.getAttribute('dimension')) ?? '';
      out[dimension] = await panel.locator('li .value').allTextContents();
    }
    return out;
  }

  /** The same, from the API: each panel's first page with these filters, values as the dashboard names them. */
  async function expectedPanelRows(dimensions: readonly string[], query: string): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const d of dimensions) {
      const b = await api<BreakdownResponse>(
        `stats/breakdown?site=shop.example&${query}&dimension=${encodeURIComponent(d)}&limit=10&page=1`,
      );
      out[d] = b.results.map((r) => displayValue(d === 'country' ? 'country' : 'page', r.value, 'en'));
    }
    return out;
  }

  async function expectFilteredEverywhere(page: Page, filters: string): Promise<void> {
    const q = `period=7d&filters=${encodeURIComponent(filters)}`;
    const summary = await api<SummaryResponse>(`stats/summary?site=shop.example&${q}`);
    // The filter must narrow, or this check would pass on an unfiltered dashboard too.
    const all = await api<SummaryResponse>('stats/summary?site=shop.example&period=7d');
    expect(summary.metrics.visitors).toBeGreaterThan(0);
    expect(summary.metrics.visitors).toBeLessThan(all.metrics.visitors);
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(summary)),
    );
    const series = await api<TimeseriesResponse>(`stats/timeseries?site=shop.example&${q}&metrics=visitors`);
    await eventually(
      () => page.locator('wtm-timeseries table tbody tr').first().locator('td').textContent(),
      (v) => expect(v).toBe(formatMetric('visitors', series.buckets[0]?.visitors ?? -1, 'en')),
    );
    // Realtime is a moving 5-minute window: the API is asked again with each look at the page.
    await eventually(
      async () => [
        await page.locator('wtm-dashboard wtm-realtime [part="value"]').textContent(),
        formatMetric(
          'visitors',
          (await api<RealtimeResponse>(`stats/realtime?site=shop.example&filters=${encodeURIComponent(filters)}`)).visitors,
          'en',
        ),
      ],
      ([shown, expected]) => expect(shown).toBe(expected),
    );
    const shown = await panelRows(page);
    expect(Object.keys(shown).sort()).toEqual(['country', 'event', 'goal', 'page', 'props:plan', 'source', 'utm_source', 'browser'].sort());
    const expected = await expectedPanelRows(Object.keys(shown), q);
    await eventually(
      () => panelRows(page),
      (v) => expect(v).toEqual(expected),
    );
  }

  it('clicking a country row filters every panel; the chip switches to "is not" and removes it; the URL keeps it', async () => {
    const page = await context.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/?site=shop.example`);
    const germany = page.locator('wtm-breakdown[dimension="country"] button.row', { hasText: 'Germany' });
    await germany.click();

    await eventually(
      () => page.locator('wtm-filter-bar .chip').allTextContents(),
      (v) => expect(v.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(['Country is Germany ×']),
    );
    expect(new URL(page.url()).searchParams.get('filters')).toBe('country==DE');
    await expectFilteredEverywhere(page, 'country==DE');
    // Only Germany is left in the countries panel.
    expect(await page.locator('wtm-breakdown[dimension="country"] li .value').allTextContents()).toEqual(['Germany']);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-filtered-country.png'), fullPage: true });

    // The chip's operator switches to "is not": everything but Germany.
    await page.locator('wtm-filter-bar .op').click();
    await eventually(
      () => page.locator('wtm-filter-bar .op').textContent(),
      (v) => expect(v?.trim()).toBe('is not'),
    );
    expect(new URL(page.url()).searchParams.get('filters')).toBe('country!=DE');
    await expectFilteredEverywhere(page, 'country!=DE');
    expect(await page.locator('wtm-breakdown[dimension="country"] li .value').allTextContents()).not.toContain('Germany');

    // A reload (or a shared link) shows the same filtered view.
    await page.reload();
    await page.locator('wtm-filter-bar .chip').waitFor();
    expect((await page.locator('wtm-filter-bar .op').textContent())?.trim()).toBe('is not');
    await expectFilteredEverywhere(page, 'country!=DE');

    // Back goes to the previous filter (popstate).
    await page.goBack();
    await eventually(
      () => page.locator('wtm-filter-bar .op').textContent(),
      (v) => expect(v?.trim()).toBe('is'),
    );
    await expectFilteredEverywhere(page, 'country==DE');

    // Removing the chip shows everything again.
    await page.locator('wtm-filter-bar .remove').click();
    await eventually(
      () => page.locator('wtm-filter-bar .chip').count(),
      (v) => expect(v).toBe(0),
    );
    expect(new URL(page.url()).searchParams.has('filters')).toBe(false);
    const unfiltered = await api<SummaryResponse>('stats/summary?site=shop.example&period=7d');
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(unfiltered)),
    );

    // Keyboard: Tab to a source row and Enter adds its filter.
    const google = page.locator('wtm-breakdown[dimension="source"] button.row', { hasText: 'Google' });
    await google.focus();
    await page.keyboard.press('Enter');
    await eventually(
      () => page.locator('wtm-filter-bar .chip').allTextContents(),
      (v) => expect(v.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(['Source is Google ×']),
    );
    expect(problems).toEqual([]);
  });

  it('the goals panel shows each goal’s conversion rate, and a goal filter adds conversion KPIs', async () => {
    const page = await context.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/?site=shop.example&period=30d`);
    const summary = await api<SummaryResponse>('stats/summary?site=shop.example&period=30d');
    const goals = await api<BreakdownResponse>('stats/breakdown?site=shop.example&period=30d&dimension=goal&limit=10&page=1');
    // Counted from the seeded visits themselves, over the API's own range (site-local wall clock).
    const [from, to] = [Date.parse(`${summary.range.from}Z`), Date.parse(`${summary.range.to}Z`)];
    const visits = visitsBySite.get('shop.example') ?? [];
    const signupRate = conversionRateOf(visits, from, to, (v) => v.events.some((e) => e.name === 'signup'));
    const pricingRate = conversionRateOf(visits, from, to, (v) => v.pages.some((p) => p.startsWith('/pricing')));
    expect(signupRate).toBeGreaterThan(0);
    expect(Object.fromEntries(goals.results.map((r) => [r.value, r.conversion_rate]))).toEqual({
      Signup: signupRate,
      'Visit /pricing*': pricingRate,
    });

    const panel = page.locator('wtm-breakdown[dimension="goal"]');
    const signupRow = panel.locator('li', { hasText: 'Signup' });
    await eventually(
      () => signupRow.locator('.num').allTextContents(),
      (v) =>
        expect(v.map((t) => t.replace(/^(Uniques|Total|CR): /, ''))).toEqual([
          formatMetric('visitors', goals.results.find((r) => r.value === 'Signup')?.visitors ?? -1, 'en'),
          formatMetric('visitors', goals.results.find((r) => r.value === 'Signup')?.events ?? -1, 'en'),
          formatPercent(signupRate, 'en'),
        ]),
    );
    expect(await panel.locator('li .value').allTextContents()).toEqual(goals.results.map((r) => r.value));

    await signupRow.locator('button.row').click();
    const filtered = await api<SummaryResponse>(`stats/summary?site=shop.example&period=30d&filters=${encodeURIComponent('goal==Signup')}`);
    expect(filtered.metrics.conversion_rate).toBe(signupRate);
    await eventually(
      () => page.locator('wtm-kpis [data-metric="conversion_rate"]').textContent(),
      (v) => expect(v).toBe(formatPercent(signupRate, 'en')),
    );
    expect(await page.locator('wtm-kpis [data-metric="conversions"]').textContent()).toBe(
      formatMetric('visitors', filtered.metrics.conversions ?? -1, 'en', true),
    );
    expect(new URL(page.url()).searchParams.get('filters')).toBe('goal==Signup');
    expect(problems).toEqual([]);
  });

  it('shows a property value with markup as text, in the panel and in its chip', async () => {
    const page = await context.newPage();
    const problems = collectProblems(page);
    await page.goto(`${server.url}/?site=shop.example&period=30d`);
    const props = await api<PropsResponse>('props?site=shop.example&period=30d');
    expect(props.keys.map((k) => k.key)).toEqual(['plan', 'file']);
    const panel = page.locator('wtm-props');
    await eventually(
      () => panel.getAttribute('dimension'),
      (v) => expect(v).toBe('props:plan'),
    );
    const plans = await api<BreakdownResponse>('stats/breakdown?site=shop.example&period=30d&dimension=props:plan&limit=10&page=1');
    await eventually(
      () => panel.locator('li .value').allTextContents(),
      (v) => expect(v).toEqual(plans.results.map((r) => r.value)),
    );
    expect(plans.results.map((r) => r.value)).toContain(HOSTILE_PROP);

    // Another key from the picker.
    await panel.locator('select').selectOption('file');
    await eventually(
      () => panel.locator('li .value').allTextContents(),
      (v) => expect(v.sort()).toEqual(['app.zip', 'guide.pdf']),
    );
    await panel.locator('select').selectOption('plan');
    await panel.locator('button.row', { hasText: HOSTILE_PROP }).click();
    await eventually(
      () => page.locator('wtm-filter-bar .values').textContent(),
      (v) => expect(v).toBe(HOSTILE_PROP),
    );
    const filters = `props:plan==${HOSTILE_PROP}`;
    expect(new URL(page.url()).searchParams.get('filters')).toBe(filters);
    const summary = await api<SummaryResponse>(`stats/summary?site=shop.example&period=30d&filters=${encodeURIComponent(filters)}`);
    await eventually(
      () => kpiTexts(page),
      (v) => expect(v).toEqual(expectedKpis(summary)),
    );
    await page.reload();
    await page.locator('wtm-filter-bar .chip').waitFor();
    expect(await page.locator('wtm-filter-bar .values').textContent()).toBe(HOSTILE_PROP);

    // Nothing ran and no element came from the data, in any shadow root.
    expect(await page.evaluate(() => (window as unknown as { __wtmXss?: number }).__wtmXss)).toBeUndefined();
    const injected = await page.evaluate(() => {
      const walk = (root: Document | ShadowRoot): number =>
        root.querySelectorAll('img, i, b, script:not([type="module"])').length +
        [...root.querySelectorAll('*')].reduce((n, el) => n + (el.shadowRoot ? walk(el.shadowRoot) : 0), 0);
      return walk(document);
    });
    expect(injected).toBe(0);
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
    // Two chips, one of them "is not", so the screenshot shows the filter bar too.
    await page.goto(`${server.url}/?site=shop.example&filters=${encodeURIComponent('country==DE;source!=Google')}`);
    await page.locator('wtm-filter-bar .chip').nth(1).waitFor();
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
