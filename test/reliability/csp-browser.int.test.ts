/**
 * The dashboard and demo pages in Debian's headless Chromium under the Content-Security-Policy the
 * query function sends (functions/query/http-policy.ts): every page renders its elements with real
 * data and reports no CSP violation; the policy really blocks what it does not allow (an injected
 * inline script is reported); pages send Referrer-Policy: no-referrer; and a private site opens with
 * its token given as the `token` attribute (an Authorization header, never a URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createDatabase, type Database } from '../../functions/lib/db';
import { buildBundle, launchChromium, startQueryServer } from '../e2e/harness';
import { seedSites } from '../e2e/seed';
import { freePort } from '../services';
import { startProduct } from '../start/harness';

const TOKEN = 'csp-suite-private-token';
/** The pages of the query function; the tracker's demo page is checked on `npm start` below (it needs /js/script.js and /api/event). */
const PAGES = ['/?site=shop.example', '/embed.html?site=shop.example'];

jest.setTimeout(120_000);

/** Records `securitypolicyviolation` events (CSP3 §5.3) and CSP console errors of a page. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) console.push(m.text());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  return async () => [...console, ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp))];
}

describe('Content-Security-Policy and Referrer-Policy in Chromium (SQLite, own server)', () => {
  let dir: string;
  let db: Database;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    buildBundle();
    dir = mkdtempSync(join(tmpdir(), 'wtm-csp-'));
    db = createDatabase({ url: `sqlite:${join(dir, 'wtm.sqlite')}` });
    await db.migrate();
    await seedSites(db, [
      { hostname: 'shop.example', timezone: 'UTC', isPublic: true, scale: 0.3 },
      { hostname: 'private.example', timezone: 'UTC', isPublic: false, token: TOKEN, scale: 0.3 },
    ]);
    server = await startQueryServer(db);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(PAGES)('%s loads everything it needs and violates nothing', async (path) => {
    const head = await fetch(`${server.url}${path}`);
    expect(head.status).toBe(200);
    expect(head.headers.get('referrer-policy')).toBe('no-referrer');
    expect(head.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'/);
    const page = await browser.newPage();
    try {
      const violations = await watchViolations(page);
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle' });
      // The elements rendered real figures (a blocked script or request would leave them empty).
      const rendered = await page.evaluate(() =>
        [...document.querySelectorAll('*')]
          .filter((e) => e.tagName.startsWith('WTM-'))
          .map((e) => e.shadowRoot?.textContent?.trim().length ?? 0),
      );
      expect(rendered.length).toBeGreaterThan(0);
      expect(rendered.every((n) => n > 0)).toBe(true);
      expect(requests.some((u) => u.includes('/api/v1/stats/'))).toBe(true);
      expect(await violations()).toEqual([]);
      // Nothing was fetched from another origin.
      expect(requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('/example-site.html on npm start: the tracker script and the page script load and fetch under the policy', async () => {
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), 'wtm-csp-start-'));
    const product = await startProduct(['--port', String(port), '--data', data, '--rate', '0', '--backfill-days', '0', '--no-status'], {
      DATABASE_URL: '',
      KAFKA_BROKERS: '',
    });
    const page = await browser.newPage();
    try {
      const head = await fetch(`${product.url}example-site.html`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
      expect(head.headers.get('referrer-policy')).toBe('no-referrer');
      const violations = await watchViolations(page);
      const answered: string[] = [];
      page.on('response', (r) => answered.push(`${r.status()} ${new URL(r.url()).pathname}`));
      await page.goto(`${product.url}example-site.html`, { waitUntil: 'networkidle' });
      await page.waitForTimeout(500);
      // The tracker (an external script of this origin) loaded, and the page's inline script fetched
      // today's summary (the tracker itself skips automated browsers: web/tracker/script.ts).
      expect(answered).toContain('200 /js/script.js');
      expect(answered).toContain('200 /api/v1/stats/summary');
      expect(await violations()).toEqual([]);
    } finally {
      await page.close();
      await product.stop();
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('the policy blocks what it does not allow (an injected inline script is reported and does not run)', async () => {
    const page = await browser.newPage();
    try {
      const violations = await watchViolations(page);
      await page.goto(`${server.url}/?site=shop.example`, { waitUntil: 'networkidle' });
      const ran = await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = 1';
        document.body.append(s);
        return (window as unknown as { __injected?: number }).__injected === 1;
      });
      expect(ran).toBe(false);
      await page.waitForTimeout(200);
      expect((await violations()).some((v) => /script-src/.test(v))).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('a private site opens with the token attribute: sent as Authorization, never in a URL or Referer', async () => {
    const page = await browser.newPage();
    try {
      const violations = await watchViolations(page);
      const seen: { url: string; auth: string | undefined; referer: string | undefined }[] = [];
      page.on('request', (r) => seen.push({ url: r.url(), auth: r.headers().authorization, referer: r.headers().referer }));
      await page.goto(`${server.url}/embed.html?site=private.example`, { waitUntil: 'domcontentloaded' });
      // The page's own script sets the site; a host page sets the token attribute, as a blog would.
      await page.evaluate((token) => {
        for (const el of document.querySelectorAll('.stats')) el.setAttribute('token', token);
      }, TOKEN);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(500);
      const stats = seen.filter((s) => s.url.includes('/api/v1/stats/') && s.url.includes('private.example'));
      expect(stats.length).toBeGreaterThan(0);
      expect(stats.filter((s) => s.auth === `Bearer ${TOKEN}`).length).toBeGreaterThan(0);
      expect(seen.filter((s) => s.url.includes(TOKEN))).toEqual([]);
      expect(seen.filter((s) => s.referer !== undefined && s.referer !== '')).toEqual([]);
      const kpis = await page.evaluate(() => document.querySelector('wtm-kpis')?.shadowRoot?.textContent ?? '');
      expect(kpis).not.toMatch(/private: a token is needed|not accepted/);
      expect(await violations()).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
