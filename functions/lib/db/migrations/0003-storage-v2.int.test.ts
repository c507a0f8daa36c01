/**
 * The upgrade from schema v1: a database at 0002 with v1 rows (rollups, sketches of every grain and
 * dimension, sessions, processed_events) is migrated by `db.migrate()` on MariaDB/MySQL and on SQLite.
 * More sketches and sessions than one page of the data migration, so the paging is exercised too.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import { describeWithServices } from '../../../../test/services';
import { createHll } from '../../../aggregate/hll';
import { createDatabase, type Database } from '..';
import { createMigrator } from '../migrate';
import { DAY_MS } from '../../time';

jest.setTimeout(300_000);

const SITE = { id: 1, hostname: 'upgrade.test', timezone: 'Europe/Berlin' };
/** 2026-11-20 00:30 in Berlin = 2026-11-19 23:30 UTC: the visit's local day differs from its UTC day. */
const STARTED = Date.UTC(2026, 10, 19, 23, 30);
const LOCAL_DAY = Date.UTC(2026, 10, 20);
const PAGES = 1_203;
const SESSIONS = 1_107;

/** visitorIds are hash prefixes (the sketch uses their bits as the hash) */
const vid = (i: number) => createHash('sha256').update(String(i)).digest('hex').slice(0, 16);
const sketchOf = (n: number) => {
  const h = createHll();
  for (let i = 0; i < n; i++) h.add(vid(i + 1));
  return h.serialise();
};

async function seedV1(db: Database): Promise<void> {
  await createMigrator(db.sequelize).up({ to: '0002-session-entry-exit-ids' });
  const q = (sql: string, replacements: unknown[]) => db.sequelize.query(sql, { replacements });
  await q('INSERT INTO sites (id, hostname, timezone, is_public, created_at) VALUES (?, ?, ?, ?, ?)', [
    SITE.id,
    SITE.hostname,
    SITE.timezone,
    1,
    0,
  ]);
  const rollup =
    'INSERT INTO rollups (site_id, grain, dimension, bucket, value_key, value, pageviews, visits, bounces, duration_ms, events, bot_events) VALUES ';
  const sketch = 'INSERT INTO visitor_sketches (site_id, grain, dimension, bucket, value_key, value, sketch) VALUES ';
  const rows: [string, string, number, string, string, number][] = [
    // grain, dimension, bucket, value_key, value, visitors in the sketch
    ['d', '', LOCAL_DAY, '', '', 40],
    ['h', '', LOCAL_DAY, '', '', 7],
    ['m', '', LOCAL_DAY + 30 * 60_000, '', '', 2],
    ['h', 'page', LOCAL_DAY, 'p0', '/', 5],
    ['h', 'source', LOCAL_DAY, 's0', 'Google', 3],
    ['d', 'source', LOCAL_DAY, 's0', 'Google', 9],
  ];
  for (let i = 0; i < PAGES; i++) rows.push(['d', 'page', LOCAL_DAY, `p${String(i).padStart(5, '0')}`, `/p/${i}`, 1 + (i % 4)]);
  for (let i = 0; i < rows.length; i += 400) {
    const part = rows.slice(i, i + 400);
    await q(
      rollup + part.map(() => '(?,?,?,?,?,?,?,?,?,?,?,?)').join(','),
      part.flatMap(([g, d, b, k, v], j) => [SITE.id, g, d, b, k, v, 100 + i + j, 10, 4, 5000, 3, 1]),
    );
    await q(
      sketch + part.map(() => '(?,?,?,?,?,?,?)').join(','),
      part.flatMap(([g, d, b, k, v, n]) => [SITE.id, g, d, b, k, v, sketchOf(n)]),
    );
  }
  const cols =
    'site_id, session_key, session_id, visitor_id, started_at, first_event_id, ended_at, last_event_id, pageviews, events, entry_page, entry_at, entry_event_id, exit_page, exit_at, exit_event_id, referrer, source, channel, utm_source, utm_medium, utm_campaign, country, browser, os, device';
  for (let i = 0; i < SESSIONS; i += 300) {
    const n = Math.min(300, SESSIONS - i);
    const values: unknown[] = [];
    for (let j = i; j < i + n; j++) {
      const key = j.toString(16).padStart(32, '0');
      values.push(SITE.id, key, `s${j}`, vid(j), STARTED + j, `f${j}`, STARTED + j + 60_000, `l${j}`, 2, 1, '/in', STARTED + j);
      values.push(
        `e${j}`,
        '/out',
        STARTED + j + 60_000,
        `x${j}`,
        'https://google.com/',
        'Google',
        'search',
        '',
        '',
        '',
        'DE',
        'Firefox',
        'Linux',
        'desktop',
      );
    }
    await q(`INSERT INTO sessions (${cols}) VALUES ${new Array(n).fill(`(${new Array(26).fill('?').join(',')})`).join(',')}`, values);
  }
  await q('INSERT INTO processed_events (event_key, processed_at) VALUES (?, ?)', ['a'.repeat(32), STARTED]);
}

function upgradeSuite(url: () => string) {
  let db: Database | undefined;
  afterAll(async () => {
    await db?.close();
  });

  it('migrates v1 rows: counters kept, visitors from sketches, sessions -> visits, sketches and hour rows cut', async () => {
    db = createDatabase({ url: url() });
    await seedV1(db);
    await db.migrate();
    const select = <R extends object>(sql: string, replacements: unknown[] = []) =>
      db!.sequelize.query<R>(sql, { type: QueryTypes.SELECT, replacements });

    const rollups = await select<Record<string, string | number>>(
      'SELECT grain, dimension, value, pageviews, visits, bounces, duration_ms, events, bot_events, visitors, engaged_ms, engaged_visitors, scroll_depth_sum FROM rollups ORDER BY grain, dimension, value_key',
    );
    const byKey = new Map(rollups.map((r) => [`${r.grain}|${r.dimension}|${r.value}`, r]));
    // hour rows of dimensions other than page are gone, everything else stays with its counters
    expect(byKey.has('h|source|Google')).toBe(false);
    expect(rollups).toHaveLength(PAGES + 5);
    const num = (k: string, c: string) => Number(byKey.get(k)?.[c]);
    expect(['d||', 'h||', 'm||', 'h|page|/', 'd|source|Google'].map((k) => num(k, 'visitors'))).toEqual([40, 7, 2, 5, 9]);
    expect(num('d|source|Google', 'pageviews')).toBe(105);
    expect(num('d|source|Google', 'visits')).toBe(10);
    expect(num('d|source|Google', 'duration_ms')).toBe(5000);
    expect(num('d|source|Google', 'bot_events')).toBe(1);
    expect(num('d||', 'engaged_ms') + num('d||', 'engaged_visitors') + num('d||', 'scroll_depth_sum')).toBe(0);
    // every page of the sketch paging was filled (the last rows too)
    for (const i of [0, 499, 500, PAGES - 1]) expect(num(`d|page|/p/${i}`, 'visitors')).toBe(1 + (i % 4));
    const pageVisitors = rollups.filter((r) => r.grain === 'd' && r.dimension === 'page').reduce((s, r) => s + Number(r.visitors), 0);
    let want = 0;
    for (let i = 0; i < PAGES; i++) want += 1 + (i % 4);
    expect(pageVisitors).toBe(want);

    const sketches = await select<{ grain: string; dimension: string }>('SELECT grain, dimension FROM visitor_sketches ORDER BY grain');
    expect(sketches).toEqual([
      { grain: 'h', dimension: '' },
      { grain: 'm', dimension: '' },
    ]);

    const visits = await select<Record<string, string | number | null>>('SELECT * FROM visits ORDER BY visit_key');
    expect(visits).toHaveLength(SESSIONS);
    const v = visits[SESSIONS - 1]!;
    const j = SESSIONS - 1;
    expect({
      ...v,
      day: Number(v.day),
      started_at: Number(v.started_at),
      ended_at: Number(v.ended_at),
      entry_at: Number(v.entry_at),
    }).toMatchObject({
      site_id: SITE.id,
      visit_key: j.toString(16).padStart(32, '0'),
      visitor_id: vid(j),
      prev_visitor_id: '',
      day: LOCAL_DAY,
      started_at: STARTED + j,
      first_event_key: `f${j}`,
      ended_at: STARTED + j + 60_000,
      last_event_key: `l${j}`,
      entry_page: '/in',
      entry_at: STARTED + j,
      entry_event_key: `e${j}`,
      exit_page: '/out',
      exit_event_key: `x${j}`,
      source: 'Google',
      channel: 'search',
      utm_content: '',
      utm_term: '',
      country: 'DE',
      device: 'desktop',
    });
    expect(Number(v.pageviews)).toBe(2);
    expect(Number(v.events)).toBe(1);

    await expect(select('SELECT * FROM sessions')).rejects.toThrow();
    expect(await select('SELECT event_key FROM processed_events')).toEqual([{ event_key: 'a'.repeat(32) }]);
    // the new facts tables exist, empty, and take rows (the prop index on a long key works)
    await db.sequelize.query(
      'INSERT INTO events (site_id, day, event_key, ts, visit_key, visitor_id, kind, bot, name, page, hostname, interactive, engaged_ms, scroll_depth, revenue_amount, revenue_currency) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
      {
        replacements: [
          1,
          LOCAL_DAY,
          'b'.repeat(32),
          STARTED,
          '',
          vid(1),
          'event',
          0,
          'Signup',
          '/',
          SITE.hostname,
          1,
          0,
          null,
          '12.50',
          'EUR',
        ],
      },
    );
    await db.sequelize.query('INSERT INTO event_props (site_id, day, event_key, prop_key, prop_value) VALUES (?,?,?,?,?)', {
      replacements: [1, LOCAL_DAY, 'b'.repeat(32), 'k'.repeat(300), 'v'.repeat(2000)],
    });
    expect(
      await select('SELECT site_id FROM event_props WHERE site_id = ? AND prop_key = ? AND day >= ?', [
        1,
        'k'.repeat(300),
        LOCAL_DAY - DAY_MS,
      ]),
    ).toHaveLength(1);
    // applied once: a second migrate is a no-op
    await db.migrate();
    expect(await select('SELECT * FROM visits')).toHaveLength(SESSIONS);
  });
}

describeWithServices('migration 0003 (MySQL/MariaDB)', ['mysql'], (services) => {
  upgradeSuite(() => services().databaseUrl);
});

describe('migration 0003 (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-0003-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  upgradeSuite(() => `sqlite:${join(dir, 'wtm.sqlite')}`);
});
