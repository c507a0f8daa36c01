/**
 * The writer against real databases: MariaDB/MySQL (per-suite database) and SQLite (a temp file).
 * A few thousand hand-built events (people across midnight, 30-minute gaps, engagement, props, bots),
 * shuffled, cut into random batches, delivered twice, through two writers flushing at once (two
 * connection pools), must leave exactly the visits, facts and rollups (exact visitors included) that the
 * oracle computes straight from the events, i.e. exactly what one writer leaves. Then: redelivery changes
 * nothing; the default prune empties facts past retention in one call; the legacy dedupe table is honoured;
 * flushes over more visitors of one site-day than one IN list holds read, re-key and dedupe every one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import { ROLLUP_COUNTERS, type Counters } from '../../events/vocabulary';
import { describeWithServices } from '../../test/services';
import { createDatabase, type Database } from '../lib/db';
import { createMigrator } from '../lib/db/migrate';
import { silentLogger } from '../lib/logger';
import { DAY_MS } from '../lib/time';
import { createSiteRegistry } from '../sites/registry';
import type { SiteInfo } from '../sites/types';
import { deserialiseHll } from './hll';
import { buildEvents, FIXTURE_SITES, oracle, prng, randomBatches, shuffle, type FixtureSite } from './fixtures';
import { eventKey, visitKeyOf } from './model';
import { DEFAULT_PRUNE_CHUNK } from './prune';
import { IN_LIST } from './statements';
import { createWriter, type ResolvedEvent } from './writer';

jest.setTimeout(300_000);

function writerSuite(url: () => string) {
  const events = buildEvents({ seed: 7, sessions: 1500 });
  const want = oracle(events, (e) => eventKey(e.attributes));
  // the writers' clock 48 h − 2 min after the oldest event, so every minute row is inside the 48 h kept
  const newest = Math.max(...events.map((e) => Date.parse(e.data.timestamp)));
  const oldest = Math.min(...events.map((e) => Date.parse(e.data.timestamp)));
  const now = () => oldest + 48 * 3_600_000 - 120_000;
  let dbs: Database[] = [];
  let resolved: ResolvedEvent[] = [];
  let hostname = new Map<number, string>();

  afterAll(async () => {
    for (const d of dbs) await d.close();
  });

  const select = <R extends object>(sql: string) => dbs[0]!.sequelize.query<R>(sql, { type: QueryTypes.SELECT });
  const count = async (table: string, where = '1 = 1') =>
    Number((await select<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);

  async function rollups(): Promise<Map<string, Counters>> {
    const rows = await select<Record<string, string | number>>(
      `SELECT site_id, grain, dimension, bucket, value, ${ROLLUP_COUNTERS.join(',')} FROM rollups`,
    );
    const got = new Map<string, Counters>();
    for (const r of rows) {
      const c = Object.fromEntries(ROLLUP_COUNTERS.map((n) => [n, Number(r[n])])) as Counters;
      if (ROLLUP_COUNTERS.every((n) => c[n] === 0)) continue; // a visit that moved leaves a zero row behind
      got.set(`${hostname.get(Number(r.site_id))}|${r.grain}|${r.dimension}|${Number(r.bucket)}|${r.value}`, c);
    }
    return got;
  }
  const sorted = <V>(m: Map<string, V>) => [...m].sort(([x], [y]) => (x < y ? -1 : 1));

  /** The stored visits (of one site, or all), as the oracle gives them and in its order. */
  async function storedVisits(siteId?: number) {
    const rows = await select<Record<string, string | number>>(
      `SELECT site_id, visit_key, visitor_id, started_at, ended_at, pageviews, events, entry_page, exit_page, first_event_key FROM visits${siteId === undefined ? '' : ` WHERE site_id = ${siteId}`}`,
    );
    const got = rows
      .map((v) => ({
        site: hostname.get(Number(v.site_id))!,
        visitorId: String(v.visitor_id),
        startedAt: Number(v.started_at),
        endedAt: Number(v.ended_at),
        pageviews: Number(v.pageviews),
        events: Number(v.events),
        entryPage: String(v.entry_page),
        exitPage: String(v.exit_page),
        firstKey: String(v.first_event_key),
      }))
      .sort((x, y) => (x.site < y.site ? -1 : x.site > y.site ? 1 : x.startedAt - y.startedAt || (x.firstKey < y.firstKey ? -1 : 1)));
    return { rows, got };
  }

  it('stores exactly what the events say, with duplicates, any order, two writers flushing at once', async () => {
    dbs = [createDatabase({ url: url() }), createDatabase({ url: url() })];
    const [a, b] = dbs as [Database, Database];
    await a.migrate();
    const registry = createSiteRegistry(a);
    const sites = new Map<string, SiteInfo>();
    for (const s of FIXTURE_SITES) sites.set(s.hostname, await registry.add({ ...s, isPublic: true }));
    hostname = new Map([...sites.values()].map((s) => [s.id, s.hostname]));

    const random = prng(99);
    resolved = events.map((event) => ({ event, site: sites.get(event.data.site)! }));
    const deliveries = randomBatches(shuffle([...resolved, ...resolved], random), random, 400);
    const writers = [
      createWriter({
        db: a,
        logger: silentLogger,
        maxBatch: 700,
        flushIntervalMs: 20,
        retryDelayMs: 20,
        attempts: 30,
        pruneIntervalMs: 0,
        now,
      }),
      createWriter({
        db: b,
        logger: silentLogger,
        maxBatch: 500,
        flushIntervalMs: 5,
        retryDelayMs: 20,
        attempts: 30,
        pruneIntervalMs: 0,
        now,
      }),
    ];
    await Promise.all(deliveries.map((batch, i) => writers[i % 2]!.add(batch)));
    await Promise.all(writers.map((w) => w.close()));
    const stats = writers.map((w) => w.stats());
    process.stderr.write(`writer stats: ${JSON.stringify(stats)}\n`);
    expect(stats[0]!.written + stats[1]!.written).toBe(events.length);
    expect(stats[0]!.duplicates + stats[1]!.duplicates).toBe(events.length);
    expect(stats[0]!.flushes).toBeGreaterThan(1);
    expect(stats[1]!.flushes).toBeGreaterThan(1);

    expect(sorted(await rollups())).toEqual(sorted(want.rollups));

    const { rows: visits, got } = await storedVisits();
    expect(got).toEqual(want.visits);
    // keys follow from the first event, whichever writer saw what first
    for (const v of visits) expect(v.visit_key).toBe(visitKeyOf(Number(v.started_at), String(v.first_event_key)));
    // every pageview and custom event points at a stored visit; bots at none
    expect(await count('events')).toBe(events.length);
    expect(await count('events', "kind <> 'engagement' AND bot = 0 AND visit_key NOT IN (SELECT visit_key FROM visits)")).toBe(0);
    expect(await count('events', "bot = 1 AND visit_key <> ''")).toBe(0);
    const props = events.reduce((s, e) => s + Object.keys(e.data.props).length, 0);
    expect(props).toBeGreaterThan(0);
    expect(await count('event_props')).toBe(props);

    // sketches: site totals at h and m only, exact at these sizes (sparse)
    const sketches = await select<{ site_id: number; grain: string; dimension: string; bucket: number; sketch: Buffer }>(
      'SELECT site_id, grain, dimension, bucket, sketch FROM visitor_sketches',
    );
    expect(new Set(sketches.map((s) => `${s.grain}${s.dimension}`))).toEqual(new Set(['h', 'm']));
    for (const s of sketches) {
      const k = `${hostname.get(Number(s.site_id))}|${s.grain}||${Number(s.bucket)}|`;
      expect([k, Math.round(deserialiseHll(s.sketch).count())]).toEqual([k, want.rollups.get(k)?.visitors ?? 0]);
    }
  });

  it('redelivery through a new writer changes nothing', async () => {
    const before = sorted(await rollups());
    const factRows = await count('events');
    const w = createWriter({ db: dbs[0]!, logger: silentLogger, maxBatch: 2000, pruneIntervalMs: 0 });
    await w.add(resolved.slice(0, 1000));
    // the first flush skipped the stored-events read, met a stored event and ran again with it; the
    // flushes after it (inside CHECK_STORED_AFTER_DUPLICATE_MS) read first and need no second run
    expect(w.stats()).toMatchObject({ flushes: 1, written: 0, duplicates: 1000, dedupeReruns: 1, retries: 0 });
    await w.add(resolved.slice(1000));
    await w.close();
    expect(w.stats()).toMatchObject({ written: 0, duplicates: events.length, dedupeReruns: 1, retries: 0 });
    expect(sorted(await rollups())).toEqual(before);
    expect(await count('events')).toBe(factRows);
  });

  it('a batch with one stored event among new ones stores the new ones once (optimistic dedupe)', async () => {
    const [a] = dbs as [Database];
    const fresh = resolved
      .slice(0, 3)
      .map((r, i) => ({ ...r, event: { ...r.event, attributes: { ...r.event.attributes, id: `again-${i}` } } }));
    const factRows = await count('events');
    const w = createWriter({ db: a, logger: silentLogger, pruneIntervalMs: 0 });
    await w.add([...fresh, resolved[0]!]);
    await w.close();
    expect(w.stats()).toMatchObject({ flushes: 1, written: 3, duplicates: 1, dedupeReruns: 1 });
    expect(await count('events')).toBe(factRows + 3);
  });

  it('honours the legacy dedupe table while it has rows', async () => {
    const [a] = dbs as [Database];
    const late = { ...resolved[0]!, event: { ...resolved[0]!.event, attributes: { ...resolved[0]!.event.attributes, id: 'legacy-only' } } };
    await a.sequelize.query('INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)', {
      replacements: [eventKey(late.event.attributes), Date.now()],
    });
    const w = createWriter({ db: a, logger: silentLogger, pruneIntervalMs: 0 });
    await w.add([late]);
    await w.close();
    expect(w.stats()).toMatchObject({ written: 0, duplicates: 1 });
  });

  it('prunes facts, the legacy dedupe table and minutes past retention in one call with the default settings', async () => {
    const [a] = dbs as [Database];
    const factRows = await count('events');
    expect(factRows).toBeGreaterThan(DEFAULT_PRUNE_CHUNK); // more than one chunk of the default size
    const dayRows = await count('rollups', "grain = 'd'");
    // the clock 401 days on: every event is past the default retention of 400 site-days
    const writer = createWriter({ db: a, logger: silentLogger, pruneIntervalMs: 0, now: () => newest + 402 * DAY_MS });
    const r = await writer.prune();
    await writer.close();
    expect(r.events).toBe(factRows);
    expect(r.visits).toBe(want.visits.length);
    expect(r.processedEvents).toBe(1);
    expect(r.minuteRollups).toBeGreaterThan(0);
    for (const t of ['events', 'visits', 'event_props', 'processed_events']) expect([t, await count(t)]).toEqual([t, 0]);
    expect(await count('rollups', "grain = 'm'")).toBe(0);
    expect(await count('visitor_sketches', "grain = 'm'")).toBe(0);
    expect(await count('rollups', "grain = 'd'")).toBe(dayRows);
  });

  it('keeps what is within retention', async () => {
    const [a] = dbs as [Database];
    const w = createWriter({ db: a, logger: silentLogger, pruneIntervalMs: 0, now });
    await w.add(resolved.slice(0, 50));
    await w.close();
    const first = Math.min(...resolved.slice(0, 50).map((e) => Date.parse(e.event.data.timestamp)));
    // 8 site-days kept: the oldest event's day is 7 days back, so it stays
    const p = createWriter({ db: a, logger: silentLogger, pruneIntervalMs: 0, factRetentionDays: 8, now: () => first + 7 * DAY_MS });
    const r = await p.prune();
    await p.close();
    expect(r.events).toBe(0);
    expect(await count('events')).toBe(50);
  });

  it('a flush over more visitors of one site-day than one IN list holds reads, re-keys and dedupes them all', async () => {
    const [a] = dbs as [Database];
    const wide: FixtureSite = { hostname: 'wide.example', timezone: 'UTC' };
    const site = await createSiteRegistry(a).add({ ...wide, isPublic: true });
    hostname.set(site.id, wide.hostname);
    // ~1,300 people over two days: each flush touches more visitor-days of the site than IN_LIST ids
    const wideEvents = buildEvents({ seed: 11, sessions: 4000, sites: [wide] });
    const wideWant = oracle(wideEvents, (e) => eventKey(e.attributes), [wide]);
    const days = new Map<string, Set<string>>();
    for (const e of wideEvents) {
      const day = e.data.timestamp.slice(0, 10); // the site's zone is UTC
      days.set(day, (days.get(day) ?? new Set()).add(e.data.visitorId));
    }
    expect(Math.max(...[...days.values()].map((v) => v.size))).toBeGreaterThan(2 * IN_LIST);
    const first = Math.min(...wideEvents.map((e) => Date.parse(e.data.timestamp)));
    const w = createWriter({
      db: a,
      logger: silentLogger,
      maxBatch: 100_000,
      pruneIntervalMs: 0,
      now: () => first + 48 * 3_600_000 - 120_000,
    });
    // a random half first: the other half then meets stored visits of most visitors, and about half the
    // visits get an earlier first event (a new key: their rows are deleted and their events moved)
    const mixed = shuffle(
      wideEvents.map((event) => ({ event, site })),
      prng(5),
    );
    const half = Math.floor(mixed.length / 2);
    await w.add(mixed.slice(0, half));
    await w.add(mixed.slice(half));
    await w.add(mixed); // every event again, in one flush: all of them stored already
    await w.close();
    expect(w.stats()).toMatchObject({ flushes: 3, written: wideEvents.length, duplicates: wideEvents.length });
    const mine = new Map([...(await rollups())].filter(([k]) => k.startsWith(`${wide.hostname}|`)));
    expect(sorted(mine)).toEqual(sorted(wideWant.rollups));
    expect((await storedVisits(site.id)).got).toEqual(wideWant.visits);
  });
}

describeWithServices('aggregate writer on MySQL/MariaDB', ['mysql'], (get) => {
  writerSuite(() => get().databaseUrl);
});

describe('aggregate writer on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writerSuite(() => `sqlite:${join(dir, 'wtm.sqlite')}`);
});

describeWithServices('migrations on MySQL/MariaDB', ['mysql'], (get) => {
  it('creates the schema through umzug migrations (not sync()) and rolls it back', async () => {
    const db = createDatabase({ url: get().databaseUrl });
    const tables = async () =>
      (await db.sequelize.getQueryInterface().showAllTables()).map((t) => (typeof t === 'string' ? t : String(t))).sort();
    try {
      await db.migrate();
      expect(await tables()).toEqual([
        'SequelizeMeta',
        'event_props',
        'events',
        'goals',
        'processed_events',
        'rollups',
        'site_tokens',
        'sites',
        'visitor_sketches',
        'visits',
      ]);
      const columns = await db.sequelize.getQueryInterface().describeTable('rollups');
      expect(Object.keys(columns)).toEqual(expect.arrayContaining([...ROLLUP_COUNTERS]));
      const migrator = createMigrator(db.sequelize);
      expect((await migrator.executed()).map((m) => m.name)).toEqual([
        '0001-initial',
        '0002-session-entry-exit-ids',
        '0003-storage-v2',
        '0004-goals',
        '0005-visit-page-keys',
        '0006-ascii-keys',
        '0007-day-visitor-indexes',
      ]);
      const charsets = async () =>
        Object.fromEntries(
          (
            await db.sequelize.query<{ t: string; c: string; cs: string }>(
              `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, CHARACTER_SET_NAME AS cs FROM information_schema.COLUMNS
                WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME IN ('event_key', 'visit_key', 'visitor_id', 'prev_visitor_id', 'page')`,
              { type: QueryTypes.SELECT },
            )
          ).map((r) => [`${r.t}.${r.c}`, r.cs]),
        );
      expect(await charsets()).toMatchObject({
        'events.event_key': 'ascii',
        'events.visit_key': 'ascii',
        'events.visitor_id': 'ascii',
        'event_props.event_key': 'ascii',
        'visits.visit_key': 'ascii',
        'visits.visitor_id': 'ascii',
        'visits.prev_visitor_id': 'ascii',
        'events.page': 'utf8mb4',
      });
      const indexes = async (table: string) =>
        new Set(((await db.sequelize.getQueryInterface().showIndex(table)) as { name: string }[]).map((i) => i.name));
      const visitIndexes = () => indexes('visits');
      expect(await visitIndexes()).not.toContain('visits_site_id_day');
      // 0007: the visitor-id lookups go through day-local indexes
      expect([...(await visitIndexes())].filter((i) => i.includes('visitor')).sort()).toEqual([
        'visits_site_day_prev_visitor',
        'visits_site_day_visitor',
      ]);
      expect([...(await indexes('events'))].filter((i) => i.includes('visitor'))).toEqual(['events_site_day_visitor']);
      await migrator.down({ to: '0007-day-visitor-indexes' });
      expect([...(await visitIndexes())].filter((i) => i.includes('visitor')).sort()).toEqual([
        'visits_site_id_prev_visitor_id',
        'visits_site_id_visitor_id',
      ]);
      expect([...(await indexes('events'))].filter((i) => i.includes('visitor'))).toEqual(['events_site_id_visitor_id']);

      // 0006 on stored facts: the rows stay, found by their keys
      await migrator.down({ to: '0006-ascii-keys' });
      expect(await charsets()).toMatchObject({ 'events.event_key': 'utf8mb4', 'visits.visit_key': 'utf8mb4' });
      expect(await visitIndexes()).toContain('visits_site_id_day');
      await db.sequelize.query(
        `INSERT INTO events (site_id, day, event_key, ts, visit_key, visitor_id, kind, page) VALUES (1, 20000, 'e0123456789abcdef0123456789abcd', 1, 'v0123456789abcdef0123456789abcd', 'p0123456789abcde', 'pageview', '/ü')`,
      );
      await migrator.up();
      const [row] = await db.sequelize.query<{ page: string }>(
        "SELECT page FROM events WHERE site_id = 1 AND day = 20000 AND event_key = 'e0123456789abcdef0123456789abcd' AND visitor_id = 'p0123456789abcde'",
        { type: QueryTypes.SELECT },
      );
      expect(row?.page).toBe('/ü');
      await db.sequelize.query('DELETE FROM events');

      await migrator.down({ to: 0 });
      expect(await tables()).toEqual(['SequelizeMeta']);
      expect(await migrator.executed()).toEqual([]);
      await migrator.up();
      expect(await tables()).toContain('visits');
    } finally {
      await db.close();
    }
  });
});
