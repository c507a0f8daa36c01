/**
 * Filters, goals, properties and export against the facts, on SQLite and on MySQL/MariaDB: the API's
 * filtered answers equal the independent ground truth (filtered-truth.ts) computed from the same
 * TruthVisit list that was written into visits / events / event_props.
 */
import { unzipSync, strFromU8 } from 'fflate';
import { createDatabase, type Database } from '../../functions/lib/db';
import { DAY_MS, bucketOf, toLocalMs } from '../../functions/lib/time';
import { parseCsv } from '../../functions/query/filtered/csv';
import { createQueryHandler, type QueryHandler } from '../../functions/query/handler';
import { createGoalRegistry } from '../../functions/sites/goals';
import { createSiteRegistry } from '../../functions/sites/registry';
import type { TruthVisit } from '../../functions/generate/truth-visit';
import { describeWithServices } from '../services';
import { makeTruthVisits, writeFacts } from './facts';
import {
  filteredPages,
  filteredPropValues,
  filteredSummary,
  filteredVisitBreakdown,
  goalBreakdown,
  type TruthCondition,
  type TruthGoal,
  type TruthQuery,
} from './filtered-truth';

const SITE = 'filters.example';
const TZ = 'Europe/Berlin';
const NOW = Date.parse('2026-11-20T12:00:00Z');
const TODAY = bucketOf(toLocalMs(NOW, TZ), 'd');
const DAYS = 10;
const date = (localMs: number) => new Date(localMs).toISOString().slice(0, 10);
const FROM = date(TODAY - 6 * DAY_MS);
const TO = date(TODAY);

const GOALS: TruthGoal[] = [
  { name: 'Signup', event: 'signup' },
  { name: 'Visit /pricing*', page: '/pricing*' },
  { name: 'Download', event: 'download' },
  // `_` is literal in a goal pattern (SQL LIKE would read it as any character)
  { name: 'Docs', page: '/docs/x_y' },
  { name: 'Never', event: 'never-sent' },
];

/** The filter as the API takes it, and the same question as the truth's plain data. */
const CASES: [string, TruthCondition[]][] = [
  ['country==DE', [{ on: 'visit', dimension: 'country', op: 'is', values: ['DE'] }]],
  ['page==/blog', [{ on: 'page', op: 'is', values: ['/blog'] }]],
  ['source!=Google', [{ on: 'visit', dimension: 'source', op: 'is_not', values: ['Google'] }]],
  ['page~/pricing', [{ on: 'page', op: 'contains', values: ['/pricing'] }]],
  ['country==DE|FR', [{ on: 'visit', dimension: 'country', op: 'is', values: ['DE', 'FR'] }]],
  [
    'country==DE;source==Google',
    [
      { on: 'visit', dimension: 'country', op: 'is', values: ['DE'] },
      { on: 'visit', dimension: 'source', op: 'is', values: ['Google'] },
    ],
  ],
  ['props:plan==pro', [{ on: 'prop', key: 'plan', op: 'is', values: ['pro'] }]],
  ['props:plan==(none)|team', [{ on: 'prop', key: 'plan', op: 'is', values: ['(none)', 'team'] }]],
  ['props:plan~HYPER', [{ on: 'prop', key: 'plan', op: 'contains', values: ['HYPER'] }]],
  ['page!=/pricing', [{ on: 'page', op: 'is_not', values: ['/pricing'] }]],
  ['browser==chrome', [{ on: 'visit', dimension: 'browser', op: 'is', values: ['chrome'] }]],
  ['country==(none)', [{ on: 'visit', dimension: 'country', op: 'is', values: ['(none)'] }]],
  [
    'utm_content==hero;device!=mobile',
    [
      { on: 'visit', dimension: 'utm_content', op: 'is', values: ['hero'] },
      { on: 'visit', dimension: 'device', op: 'is_not', values: ['mobile'] },
    ],
  ],
  [
    'entry_page==/blog;event==signup',
    [
      { on: 'visit', dimension: 'entry_page', op: 'is', values: ['/blog'] },
      { on: 'event', op: 'is', values: ['signup'] },
    ],
  ],
  // LIKE's wildcards and a quote are plain characters in values
  ['page~%', [{ on: 'page', op: 'contains', values: ['%'] }]],
  ['page~x_', [{ on: 'page', op: 'contains', values: ['x_'] }]],
  ["page==/it's", [{ on: 'page', op: 'is', values: ["/it's"] }]],
  ["country==DE' OR '1'='1", [{ on: 'visit', dimension: 'country', op: 'is', values: ["DE' OR '1'='1"] }]],
  [
    'page~/blog;page!=/blog/a',
    [
      { on: 'page', op: 'contains', values: ['/blog'] },
      { on: 'page', op: 'is_not', values: ['/blog/a'] },
    ],
  ],
];

/** `maxSharedVisits` 0: every answer from SQL alone (the path of a day past the kept-visits cap); small: many chunks. */
function suite(name: string, open: () => Promise<Database>, maxSharedVisits?: number) {
  describe(name, () => {
    let db: Database;
    let api: QueryHandler;
    let visits: TruthVisit[];
    const get = async (path: string, q: Record<string, string>) => {
      const r = await api.handle({ method: 'GET', url: `${path}?${new URLSearchParams(q).toString()}`, headers: {} });
      return { status: r.status, headers: r.headers, body: r.body, json: () => JSON.parse(r.body.toString()) as Record<string, unknown> };
    };
    const range = { from: FROM, to: TO };
    const truth = (conditions: TruthCondition[]): TruthQuery => ({ from: FROM, to: TO, conditions, goals: GOALS });

    beforeAll(async () => {
      db = await open();
      await db.migrate();
      const site = await createSiteRegistry(db).add({ hostname: SITE, timezone: TZ, isPublic: true });
      const goals = createGoalRegistry(db);
      for (const g of GOALS)
        await goals.add(
          SITE,
          'event' in g ? { kind: 'event', event: g.event, name: g.name } : { kind: 'page', page: g.page, name: g.name },
        );
      visits = makeTruthVisits(SITE, { timezone: TZ, firstDay: TODAY - (DAYS - 1) * DAY_MS, days: DAYS, visitsPerDay: 40, seed: 7 });
      await writeFacts(db, site.id, TZ, visits);
      api = createQueryHandler({ db, now: () => NOW, maxSharedVisits });
    }, 120_000);
    afterAll(() => db?.close());

    it.each(CASES)('summary and page breakdown with %s equal the ground truth', async (filters, conditions) => {
      const s = await get('/api/v1/stats/summary', { site: SITE, ...range, filters });
      expect(s.status).toBe(200);
      const expected = filteredSummary(visits, truth(conditions));
      expect(s.json().metrics).toEqual({ ...expected, bot_events: 0 });
      const b = await get('/api/v1/stats/breakdown', { site: SITE, ...range, filters, dimension: 'page', limit: '1000' });
      expect(b.status).toBe(200);
      const rows = (b.json().results as { value: string; visitors: number; pageviews: number }[]).map(({ value, visitors, pageviews }) => ({
        value,
        visitors,
        pageviews,
      }));
      expect(rows).toEqual(filteredPages(visits, truth(conditions)));
    });

    it('a realistic filter keeps a real share of the data (the cases are not all empty)', () => {
      const all = filteredSummary(visits, truth([]));
      const de = filteredSummary(visits, truth(CASES[0]![1]));
      expect(all.visits).toBeGreaterThan(200);
      expect(de.visits).toBeGreaterThan(20);
      expect(de.visits).toBeLessThan(all.visits);
      expect(filteredSummary(visits, truth(CASES[17]![1])).visits).toBe(0);
      // case matters: `chrome` is not `Chrome` (MySQL's _ci collation would merge them)
      const lower = filteredSummary(visits, truth([{ on: 'visit', dimension: 'browser', op: 'is', values: ['chrome'] }])).visits;
      const both = filteredSummary(visits, truth([{ on: 'visit', dimension: 'browser', op: 'is', values: ['chrome', 'Chrome'] }])).visits;
      expect(lower).toBeGreaterThan(0);
      expect(both).toBeGreaterThan(lower);
    });

    it('page breakdowns read page by page (two rows a page) equal the truth', async () => {
      for (const [filters, conditions] of [
        ['country==DE', [{ on: 'visit', dimension: 'country', op: 'is', values: ['DE'] }]],
        ['source!=Google', [{ on: 'visit', dimension: 'source', op: 'is_not', values: ['Google'] }]],
      ] as const) {
        const expected = filteredPages(visits, truth([...conditions]));
        expect(expected.length).toBeGreaterThan(4);
        const got: unknown[] = [];
        for (let page = 1; got.length < expected.length + 1 && page < 20; page++) {
          const b = await get('/api/v1/stats/breakdown', {
            site: SITE,
            ...range,
            filters,
            dimension: 'page',
            limit: '2',
            page: String(page),
          });
          const body = b.json() as { has_more: boolean; results: { value: string; visitors: number; pageviews: number }[] };
          got.push(...body.results.map(({ value, visitors, pageviews }) => ({ value, visitors, pageviews })));
          if (!body.has_more) break;
        }
        expect(got).toEqual(expected);
      }
    });

    it('visit-dimension breakdowns under a filter equal the truth', async () => {
      for (const [dimension, filters, conditions] of [
        ['country', 'page~/blog', [{ on: 'page', op: 'contains', values: ['/blog'] }]],
        ['source', 'country==DE', [{ on: 'visit', dimension: 'country', op: 'is', values: ['DE'] }]],
        ['browser', 'props:plan==pro', [{ on: 'prop', key: 'plan', op: 'is', values: ['pro'] }]],
        ['utm_content', 'country!=US', [{ on: 'visit', dimension: 'country', op: 'is_not', values: ['US'] }]],
      ] as const) {
        const b = await get('/api/v1/stats/breakdown', { site: SITE, ...range, filters, dimension, limit: '100' });
        const rows = (b.json().results as { value: string; visitors: number; visits: number; pageviews: number }[]).map(
          ({ value, visitors, visits: v, pageviews }) => ({ value, visitors, visits: v, pageviews }),
        );
        expect(rows).toEqual(filteredVisitBreakdown(visits, truth([...conditions]), dimension));
      }
    });

    it('daily timeseries under a filter equals the truth day by day; hourly buckets add up to the day', async () => {
      const filters = 'country==DE|FR;page~/';
      const conditions: TruthCondition[] = [
        { on: 'visit', dimension: 'country', op: 'is', values: ['DE', 'FR'] },
        { on: 'page', op: 'contains', values: ['/'] },
      ];
      const t = await get('/api/v1/stats/timeseries', { site: SITE, ...range, filters, metrics: 'visitors,pageviews,visits' });
      const buckets = t.json().buckets as { t: string; visitors: number; pageviews: number; visits: number }[];
      expect(buckets).toHaveLength(7);
      for (const b of buckets) {
        const day = b.t.slice(0, 10);
        const e = filteredSummary(visits, { from: day, to: day, conditions, goals: GOALS });
        expect({ visitors: b.visitors, pageviews: b.pageviews, visits: b.visits }).toEqual({
          visitors: e.visitors,
          pageviews: e.pageviews,
          visits: e.visits,
        });
      }
      const yesterday = date(TODAY - DAY_MS);
      const h = await get('/api/v1/stats/timeseries', {
        site: SITE,
        from: yesterday,
        to: yesterday,
        interval: 'hour',
        filters,
        metrics: 'visits,pageviews',
      });
      const hours = h.json().buckets as { visits: number; pageviews: number }[];
      expect(hours).toHaveLength(24);
      const e = filteredSummary(visits, { from: yesterday, to: yesterday, conditions, goals: GOALS });
      expect(hours.reduce((n, x) => n + x.visits, 0)).toBe(e.visits);
      expect(hours.reduce((n, x) => n + x.pageviews, 0)).toBe(e.pageviews);
    });

    it('goal filters add conversions and conversion rate equal to the truth', async () => {
      for (const [filters, conditions] of [
        ['goal==Signup', [{ on: 'goal', op: 'is', values: ['Signup'] }]],
        [
          'goal==Visit /pricing*;country==DE',
          [
            { on: 'goal', op: 'is', values: ['Visit /pricing*'] },
            { on: 'visit', dimension: 'country', op: 'is', values: ['DE'] },
          ],
        ],
        ['goal==Docs|Download', [{ on: 'goal', op: 'is', values: ['Docs', 'Download'] }]],
        ['goal==Never', [{ on: 'goal', op: 'is', values: ['Never'] }]],
      ] as const) {
        const s = await get('/api/v1/stats/summary', { site: SITE, ...range, filters });
        const expected = filteredSummary(visits, truth([...conditions]));
        expect(expected.conversions).toBeDefined();
        expect(s.json().metrics).toEqual({ ...expected, bot_events: 0 });
      }
      const signup = filteredSummary(visits, truth([{ on: 'goal', op: 'is', values: ['Signup'] }]));
      expect(signup.conversions).toBeGreaterThan(0);
      expect(signup.conversion_rate).toBeGreaterThan(0);
      expect(signup.conversion_rate).toBeLessThan(100);
      const plain = await get('/api/v1/stats/summary', { site: SITE, ...range, filters: 'country==DE' });
      expect(plain.json().metrics).not.toHaveProperty('conversions');
    });

    it('breakdown by goal equals the truth (unfiltered and under a filter)', async () => {
      for (const [filters, conditions] of [
        [undefined, []],
        ['country==DE', [{ on: 'visit', dimension: 'country', op: 'is', values: ['DE'] }]],
      ] as const) {
        const b = await get('/api/v1/stats/breakdown', {
          site: SITE,
          ...range,
          dimension: 'goal',
          ...(filters === undefined ? {} : { filters }),
        });
        expect(b.status).toBe(200);
        const rows = (b.json().results as Record<string, unknown>[]).map((r) => ({
          value: r.value,
          visitors: r.visitors,
          events: r.events,
          conversion_rate: r.conversion_rate,
        }));
        expect(rows).toEqual(goalBreakdown(visits, truth([...conditions]), GOALS));
        expect(rows.map((r) => r.value)).toContain('Docs');
      }
    });

    it('lists goals and property keys; props:<key> breakdown equals the truth', async () => {
      const g = await get('/api/v1/goals', { site: SITE });
      expect(g.json()).toEqual({
        site: SITE,
        goals: GOALS.map((x, i) => ({
          id: expect.any(Number) as number,
          name: x.name,
          ...('event' in x ? { kind: 'event', event: x.event } : { kind: 'page', page: x.page }),
          _i: i,
        })).map(({ _i, ...r }) => r),
      });
      const p = await get('/api/v1/props', { site: SITE, ...range });
      const keys = (p.json().keys as { key: string; events: number }[]).map((k) => k.key);
      expect(keys).toEqual(['plan', 'file', 'seats']);
      for (const [filters, conditions] of [
        [undefined, []],
        ['country==DE', [{ on: 'visit', dimension: 'country', op: 'is', values: ['DE'] }]],
      ] as const) {
        const b = await get('/api/v1/stats/breakdown', {
          site: SITE,
          ...range,
          dimension: 'props:plan',
          ...(filters === undefined ? {} : { filters }),
        });
        const rows = (b.json().results as Record<string, unknown>[]).map((r) => ({
          value: r.value,
          visitors: r.visitors,
          events: r.events,
        }));
        expect(rows).toEqual(filteredPropValues(visits, truth([...conditions]), 'plan'));
        expect((b.json().results as Record<string, unknown>[])[0]).toMatchObject({
          pageviews: null,
          visits: null,
          bounce_rate: null,
          conversion_rate: null,
        });
      }
    });

    it('realtime under a filter counts only the kept visits', async () => {
      const lastVisit = [...visits].sort((a, b) => b.end - a.end)[0]!;
      const at = lastVisit.end + 60_000;
      const rt = createQueryHandler({ db, now: () => at });
      const q = (filters: string) =>
        rt.handle({ method: 'GET', url: `/api/v1/stats/realtime?site=${SITE}&filters=${encodeURIComponent(filters)}`, headers: {} });
      const minutesOf = (body: string) => (JSON.parse(body) as { pageviews_per_minute: { pageviews: number }[] }).pageviews_per_minute;
      const inWindow = visits
        .flatMap((v) => v.events.map((e) => ({ v, e })))
        .filter(({ e }) => e.kind === 'pageview' && e.ts >= at - 30 * 60_000);
      const country = lastVisit.dims.country === '' ? '(none)' : lastVisit.dims.country;
      const keptPv = inWindow.filter(({ v }) => v.dims.country === lastVisit.dims.country).length;
      const r = await q(`country==${country}`);
      expect(r.status).toBe(200);
      expect(minutesOf(r.body.toString())).toHaveLength(30);
      expect(minutesOf(r.body.toString()).reduce((n, m) => n + m.pageviews, 0)).toBe(keptPv);
      expect((JSON.parse((await q('country==ZZ')).body.toString()) as { visitors: number }).visitors).toBe(0);
    });

    it('the export ZIP opens and its CSVs equal the API answers', async () => {
      const filters = 'country==DE|FR';
      const r = await get('/api/v1/stats/export', { site: SITE, ...range, filters });
      expect(r.status).toBe(200);
      expect(r.headers['Content-Type']).toBe('application/zip');
      expect(r.headers['Content-Disposition']).toBe(`attachment; filename="${SITE}-${FROM}-${TO}.zip"`);
      const files = unzipSync(new Uint8Array(r.body as Buffer));
      expect(Object.keys(files).sort()).toEqual(
        [
          'visitors',
          'pages',
          'entry_pages',
          'exit_pages',
          'sources',
          'referrers',
          'channels',
          'utm_sources',
          'utm_mediums',
          'utm_campaigns',
          'utm_contents',
          'utm_terms',
          'countries',
          'browsers',
          'operating_systems',
          'devices',
          'custom_events',
          'custom_props',
        ]
          .map((f) => `${f}.csv`)
          .sort(),
      );
      const csv = (f: string) => parseCsv(strFromU8(files[f]!));
      const guard = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
      const ts = (
        await get('/api/v1/stats/timeseries', {
          site: SITE,
          ...range,
          filters,
          metrics: 'visitors,pageviews,visits,views_per_visit,bounce_rate,visit_duration',
        })
      ).json().buckets as Record<string, number | string>[];
      expect(csv('visitors.csv')).toEqual([
        ['date', 'visitors', 'pageviews', 'visits', 'views_per_visit', 'bounce_rate', 'visit_duration'],
        ...ts.map((b) => [b.t, b.visitors, b.pageviews, b.visits, b.views_per_visit, b.bounce_rate, b.visit_duration].map(String)),
      ]);
      for (const [file, dimension, cols] of [
        ['pages.csv', 'page', ['visitors', 'pageviews']],
        ['countries.csv', 'country', ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration']],
        ['utm_terms.csv', 'utm_term', ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration']],
        ['custom_events.csv', 'event', ['visitors', 'events']],
      ] as const) {
        const api2 = (await get('/api/v1/stats/breakdown', { site: SITE, ...range, filters, dimension, limit: '1000' })).json()
          .results as Record<string, string | number>[];
        expect(api2.length).toBeGreaterThan(0);
        expect(csv(file)).toEqual([
          ['name', ...cols],
          ...api2.map((row) => [guard(String(row.value)), ...cols.map((c) => String(row[c]))]),
        ]);
      }
      const plan = (await get('/api/v1/stats/breakdown', { site: SITE, ...range, filters, dimension: 'props:plan', limit: '1000' })).json()
        .results as Record<string, string | number>[];
      const props = csv('custom_props.csv');
      expect(props[0]).toEqual(['property', 'value', 'visitors', 'events']);
      expect(props.filter((r) => r[0] === 'plan')).toEqual(
        plan.map((row) => ['plan', guard(String(row.value)), String(row.visitors), String(row.events)]),
      );
      // the hostile value is text in a spreadsheet, and a value with a comma and quotes survives quoting
      expect(props.some((r) => r[1] === `'=HYPERLINK("x")`)).toBe(true);
      expect(props.some((r) => r[1] === 'a,b "c"')).toBe(true);
    });

    it('answers hostile filter strings with 4xx JSON naming the parameter, and leaves the tables intact', async () => {
      const hostile: [string, string][] = [
        ['unknown dimension', 'filters=colour%3D%3Dred'],
        ['SQL in a dimension', "filters=country'%20OR%201%3D1--%3D%3DDE"],
        ['SQL in a props key position', 'filters=props%3A%3D%3Dx'],
        ['bad operator', 'filters=country%3D%3D%3DDE'],
        ['no operator', 'filters=country%3DDE'],
        ['11 conditions', `filters=${encodeURIComponent(Array.from({ length: 11 }, () => 'country==DE').join(';'))}`],
        ['10,000 conditions', `filters=${encodeURIComponent(Array.from({ length: 10_000 }, () => 'country==DE').join(';'))}`],
        ['a 2,001-character value', `filters=${encodeURIComponent(`page==/${'x'.repeat(2000)}`)}`],
        ['broken percent-encoding %zz', 'filters=country%3D%3D%zz'],
        ['a cut UTF-8 sequence', 'filters=country%3D%3D%E0%A4%A'],
        ['an empty value', 'filters=country%3D%3D'],
        ['a control character', 'filters=page%3D%3D%2Fa%00b'],
        ['dimension=props: without a key', 'dimension=props%3A'],
        ['dimension with SQL', "dimension=page'%3B%20DROP%20TABLE%20visits--"],
      ];
      for (const [label, q] of hostile) {
        for (const path of ['/api/v1/stats/summary', '/api/v1/stats/breakdown', '/api/v1/stats/timeseries', '/api/v1/stats/realtime']) {
          const extra = path.endsWith('breakdown') && !q.startsWith('dimension') ? '&dimension=page' : '';
          const period = path.endsWith('realtime') ? '' : '&period=7d';
          if (q.startsWith('dimension') && !path.endsWith('breakdown')) continue;
          const r = await api.handle({ method: 'GET', url: `${path}?site=${SITE}${period}${extra}&${q}`, headers: {} });
          expect([label, path, r.status >= 400 && r.status < 500]).toEqual([label, path, true]);
          const body = JSON.parse(r.body.toString()) as { error: { code: string; message: string } };
          expect(body.error.code).toMatch(/invalid_parameter|uri_too_long/);
          if (body.error.code === 'invalid_parameter') expect(body.error.message).toMatch(/^(filters|dimension): /);
        }
      }
      const count = (await db.sequelize.query('SELECT COUNT(*) AS n FROM visits', { plain: true })) as { n: number | string };
      expect(Number(count.n)).toBe(visits.length);
    });

    it('unfiltered requests are not answered from the facts', async () => {
      // No rollups were written: the unfiltered summary (rollups) is empty while the facts hold visits.
      const s = await get('/api/v1/stats/summary', { site: SITE, ...range });
      expect((s.json().metrics as { visits: number }).visits).toBe(0);
    });
  });
}

suite('filters on SQLite', async () => createDatabase({ url: 'sqlite::memory:' }));
suite('filters on SQLite, SQL alone (no kept visits in memory)', async () => createDatabase({ url: 'sqlite::memory:' }), 0);
// 40 visits a day: unfiltered ranges go day by day, filtered ones in chunks of several days (kept-visits.ts)
suite('filters on SQLite, kept visits in chunks of days', async () => createDatabase({ url: 'sqlite::memory:' }), 60);

describeWithServices('filters on MySQL/MariaDB', ['mysql'], (services) => {
  suite('facts', async () => createDatabase({ url: services().databaseUrl }));
});

describeWithServices('filters on MySQL/MariaDB, kept visits in chunks of days', ['mysql'], (services) => {
  suite('facts', async () => createDatabase({ url: services().databaseUrl }), 60);
});
