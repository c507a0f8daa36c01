/**
 * Storage v2 (ARCHITECTURE.md "Storage v2"): the facts (`visits`, `events`, `event_props`), exact
 * visitors and the engagement counters in `rollups`, sketches only for site totals at hour and minute.
 *
 * Also a data migration from v1, in bounded pages so it runs on a large database too:
 * - `visitors` of every rollup row that has a v1 sketch (day rows of every dimension, hour rows of totals
 *   and pages, minute totals) is the sketch's estimate: the only record of pre-upgrade visitors;
 * - the per-dimension sketches, day sketches of totals and hour rows of dimensions other than `page` go;
 * - `sessions` rows become `visits` rows (prev_visitor_id '': v1 visitors had no previous-day id), then
 *   `sessions` is dropped. `processed_events` stays (read-only dedupe for events redelivered from
 *   before the upgrade; the writer prunes it after 8 days).
 */
import { DataTypes, QueryTypes, type QueryInterface, type Sequelize } from 'sequelize';
import { LIMITS } from '../../../../events/limits';
import { deserialiseHll } from '../../../aggregate/hll';
import { bucketOf, toLocalMs } from '../../time';
import { createDialect, keysetAfter, type Dialect } from '../dialect';

const counter = { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 };
const text = (len: number) => ({ type: DataTypes.STRING(len), allowNull: false, defaultValue: '' });
const key32 = { type: DataTypes.CHAR(32), allowNull: false, defaultValue: '' };
const id16 = { type: DataTypes.CHAR(16), allowNull: false, defaultValue: '' };
const instant = { type: DataTypes.BIGINT, allowNull: false };

/** The counters this migration adds to `rollups` (the rest of ROLLUP_COUNTERS exist since 0001). */
export const NEW_ROLLUP_COUNTERS = ['visitors', 'engaged_ms', 'engaged_visitors', 'scroll_depth_sum'] as const;

/** Rows per page of the data migration. */
const PAGE = 500;

const dialectOf = (sequelize: Sequelize): Dialect => createDialect(sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql');

export async function up(qi: QueryInterface): Promise<void> {
  const sequelize = qi.sequelize;
  const dialect = dialectOf(sequelize);

  for (const c of NEW_ROLLUP_COUNTERS) await qi.addColumn('rollups', c, counter);

  await qi.createTable('visits', {
    site_id: { type: DataTypes.INTEGER, primaryKey: true },
    visit_key: { type: DataTypes.CHAR(32), primaryKey: true },
    visitor_id: id16,
    prev_visitor_id: id16,
    day: instant,
    started_at: instant,
    first_event_key: key32,
    ended_at: instant,
    last_event_key: key32,
    pageviews: counter,
    events: counter,
    entry_page: text(LIMITS.maxUrlLength),
    entry_at: { type: DataTypes.BIGINT, allowNull: true },
    entry_event_key: key32,
    exit_page: text(LIMITS.maxUrlLength),
    exit_at: { type: DataTypes.BIGINT, allowNull: true },
    exit_event_key: key32,
    referrer: text(LIMITS.maxUrlLength),
    source: text(128),
    channel: text(16),
    utm_source: text(256),
    utm_medium: text(256),
    utm_campaign: text(256),
    utm_content: text(256),
    utm_term: text(256),
    country: text(2),
    browser: text(64),
    os: text(64),
    device: text(16),
  });
  await qi.addIndex('visits', ['site_id', 'visitor_id']);
  await qi.addIndex('visits', ['site_id', 'prev_visitor_id']);
  await qi.addIndex('visits', ['site_id', 'day']);

  await qi.createTable('events', {
    site_id: { type: DataTypes.INTEGER, primaryKey: true },
    day: { type: DataTypes.BIGINT, primaryKey: true },
    event_key: { type: DataTypes.CHAR(32), primaryKey: true },
    ts: instant,
    visit_key: key32,
    visitor_id: id16,
    kind: text(16),
    bot: { type: DataTypes.TINYINT, allowNull: false, defaultValue: 0 },
    name: text(LIMITS.maxNameLength),
    page: text(LIMITS.maxUrlLength),
    hostname: text(253),
    interactive: { type: DataTypes.TINYINT, allowNull: false, defaultValue: 1 },
    engaged_ms: counter,
    scroll_depth: { type: DataTypes.INTEGER, allowNull: true },
    revenue_amount: text(24),
    revenue_currency: text(3),
  });
  await qi.addIndex('events', ['site_id', 'visit_key']);
  await qi.addIndex('events', ['site_id', 'visitor_id']);

  await qi.createTable('event_props', {
    site_id: { type: DataTypes.INTEGER, primaryKey: true },
    day: { type: DataTypes.BIGINT, primaryKey: true },
    event_key: { type: DataTypes.CHAR(32), primaryKey: true },
    prop_key: { type: DataTypes.STRING(LIMITS.maxPropKeyLength), primaryKey: true },
    prop_value: text(LIMITS.maxPropValueLength),
  });
  // a prefix index on MySQL (a 300-character utf8mb4 key part is over InnoDB's 767-byte limit for some formats)
  await sequelize.query(dialect.createIndex('event_props_site_id_prop_key_day', 'event_props', ['site_id', ['prop_key', 191], 'day']));

  await fillVisitorsFromSketches(sequelize, dialect);
  await sequelize.query(`DELETE FROM visitor_sketches WHERE dimension <> '' OR grain = 'd'`);
  await sequelize.query(`DELETE FROM rollups WHERE grain = 'h' AND dimension NOT IN ('', 'page')`);
  // v1 had minute rows only for totals; hour/day rows of every dimension stay (day) or were just cut (hour)
  await sessionsToVisits(sequelize, dialect);
  await qi.dropTable('sessions');
}

interface SketchRow {
  site_id: number | string;
  grain: string;
  dimension: string;
  bucket: number | string;
  value_key: string;
  value: string;
  sketch: Buffer;
}

/** Every v1 sketch's estimate into its rollup row's `visitors`, paging by the primary key. */
async function fillVisitorsFromSketches(sequelize: Sequelize, dialect: Dialect): Promise<void> {
  const keys = ['site_id', 'grain', 'dimension', 'bucket', 'value_key'];
  let after: SketchRow | undefined;
  for (;;) {
    const where =
      after === undefined ? undefined : keysetAfter(keys, [after.site_id, after.grain, after.dimension, after.bucket, after.value_key]);
    const rows: SketchRow[] = await sequelize.query<SketchRow>(
      `SELECT site_id, grain, dimension, bucket, value_key, value, sketch FROM visitor_sketches
        ${where === undefined ? '' : `WHERE ${where.sql}`}
        ORDER BY site_id, grain, dimension, bucket, value_key LIMIT ${PAGE}`,
      { type: QueryTypes.SELECT, replacements: where?.replacements ?? [] },
    );
    if (rows.length === 0) return;
    const s = dialect.upsertReplace(
      'rollups',
      keys,
      ['value', 'visitors'],
      rows.map((r) => [
        Number(r.site_id),
        r.grain,
        r.dimension,
        Number(r.bucket),
        r.value_key,
        r.value,
        Math.round(deserialiseHll(r.sketch).count()),
      ]),
    );
    await sequelize.query(s.sql, { replacements: s.replacements });
    after = rows[rows.length - 1];
    if (rows.length < PAGE) return;
  }
}

type SessionRow = Record<string, unknown> & {
  site_id: number | string;
  session_key: string;
  started_at: number | string;
  timezone: string | null;
};

/** v1 sessions -> visits (same key: the session key is already 32 hex), paging by the primary key. */
async function sessionsToVisits(sequelize: Sequelize, dialect: Dialect): Promise<void> {
  const copied = [
    'visitor_id',
    'started_at',
    'ended_at',
    'pageviews',
    'events',
    'entry_page',
    'entry_at',
    'exit_page',
    'exit_at',
    'referrer',
    'source',
    'channel',
    'utm_source',
    'utm_medium',
    'utm_campaign',
    'country',
    'browser',
    'os',
    'device',
  ];
  const renamed = [
    ['first_event_id', 'first_event_key'],
    ['last_event_id', 'last_event_key'],
    ['entry_event_id', 'entry_event_key'],
    ['exit_event_id', 'exit_event_key'],
  ] as const;
  const columns = ['site_id', 'visit_key', 'day', 'prev_visitor_id', ...copied, ...renamed.map(([, to]) => to)];
  let after: SessionRow | undefined;
  for (;;) {
    const where = after === undefined ? undefined : keysetAfter(['s.site_id', 's.session_key'], [after.site_id, after.session_key]);
    const rows: SessionRow[] = await sequelize.query<SessionRow>(
      `SELECT s.*, t.timezone FROM sessions s LEFT JOIN sites t ON t.id = s.site_id
        ${where === undefined ? '' : `WHERE ${where.sql}`}
        ORDER BY s.site_id, s.session_key LIMIT ${PAGE}`,
      { type: QueryTypes.SELECT, replacements: where?.replacements ?? [] },
    );
    if (rows.length === 0) return;
    const s = dialect.insertIgnore(
      'visits',
      columns,
      rows.map((r) => [
        Number(r.site_id),
        r.session_key,
        bucketOf(toLocalMs(Number(r.started_at), r.timezone ?? 'UTC'), 'd'),
        '',
        ...copied.map((c) => r[c]),
        ...renamed.map(([from]) => r[from] ?? ''),
      ]),
    );
    await sequelize.query(s.sql, { replacements: s.replacements });
    after = rows[rows.length - 1];
    if (rows.length < PAGE) return;
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  // the shape of v1 back (data of the facts and the cut hour rows cannot come back)
  await qi.createTable('sessions', {
    site_id: { type: DataTypes.INTEGER, primaryKey: true },
    session_key: { type: DataTypes.CHAR(32), primaryKey: true },
    session_id: { type: DataTypes.STRING(128), allowNull: false },
    visitor_id: { type: DataTypes.CHAR(16), allowNull: false },
    started_at: instant,
    first_event_id: key32,
    ended_at: instant,
    last_event_id: key32,
    pageviews: counter,
    events: counter,
    entry_page: text(2048),
    entry_at: { type: DataTypes.BIGINT, allowNull: true },
    exit_page: text(2048),
    exit_at: { type: DataTypes.BIGINT, allowNull: true },
    referrer: text(2048),
    source: text(128),
    channel: text(16),
    utm_source: text(256),
    utm_medium: text(256),
    utm_campaign: text(256),
    country: text(2),
    browser: text(64),
    os: text(64),
    device: text(16),
    entry_event_id: key32,
    exit_event_id: key32,
  });
  await qi.addIndex('sessions', ['ended_at']);
  for (const t of ['event_props', 'events', 'visits']) await qi.dropTable(t);
  for (const c of NEW_ROLLUP_COUNTERS) await qi.removeColumn('rollups', c);
}
