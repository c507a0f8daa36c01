/**
 * The initial schema (see ARCHITECTURE.md "SQL schema"). Instants are BIGINT epoch ms (UTC);
 * buckets are BIGINT site-local wall-clock epoch ms. Keys over free text use hex hashes, so
 * index sizes stay bounded and MySQL's case-insensitive collations never merge two values.
 */
import { DataTypes, type QueryInterface } from 'sequelize';

const counter = { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 };
const dim = (len = 256) => ({ type: DataTypes.STRING(len), allowNull: false, defaultValue: '' });

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('sites', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    hostname: { type: DataTypes.STRING(253), allowNull: false, unique: true },
    timezone: { type: DataTypes.STRING(64), allowNull: false, defaultValue: 'UTC' },
    is_public: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.createTable('site_tokens', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    site_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'sites', key: 'id' }, onDelete: 'CASCADE' },
    token_hash: { type: DataTypes.CHAR(64), allowNull: false, unique: true },
    label: { type: DataTypes.STRING(100), allowNull: false, defaultValue: '' },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    revoked_at: { type: DataTypes.BIGINT, allowNull: true },
  });
  await qi.addIndex('site_tokens', ['site_id']);

  await qi.createTable('processed_events', {
    event_key: { type: DataTypes.CHAR(32), primaryKey: true },
    processed_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('processed_events', ['processed_at']);

  await qi.createTable('sessions', {
    site_id: { type: DataTypes.INTEGER, primaryKey: true },
    session_key: { type: DataTypes.CHAR(32), primaryKey: true },
    session_id: { type: DataTypes.STRING(128), allowNull: false },
    visitor_id: { type: DataTypes.CHAR(16), allowNull: false },
    started_at: { type: DataTypes.BIGINT, allowNull: false },
    first_event_id: { type: DataTypes.CHAR(32), allowNull: false },
    ended_at: { type: DataTypes.BIGINT, allowNull: false },
    last_event_id: { type: DataTypes.CHAR(32), allowNull: false },
    pageviews: counter,
    events: counter,
    entry_page: dim(2048),
    entry_at: { type: DataTypes.BIGINT, allowNull: true },
    exit_page: dim(2048),
    exit_at: { type: DataTypes.BIGINT, allowNull: true },
    referrer: dim(2048),
    source: dim(128),
    channel: dim(16),
    utm_source: dim(),
    utm_medium: dim(),
    utm_campaign: dim(),
    country: dim(2),
    browser: dim(64),
    os: dim(64),
    device: dim(16),
  });
  await qi.addIndex('sessions', ['ended_at']);

  const bucketKey = {
    site_id: { type: DataTypes.INTEGER, primaryKey: true },
    grain: { type: DataTypes.CHAR(1), primaryKey: true },
    dimension: { type: DataTypes.STRING(16), primaryKey: true },
    bucket: { type: DataTypes.BIGINT, primaryKey: true },
    value_key: { type: DataTypes.CHAR(16), primaryKey: true },
    value: dim(2048),
  };
  await qi.createTable('rollups', {
    ...bucketKey,
    pageviews: counter,
    visits: counter,
    bounces: counter,
    duration_ms: counter,
    events: counter,
    bot_events: counter,
  });
  await qi.createTable('visitor_sketches', {
    ...bucketKey,
    sketch: { type: DataTypes.BLOB, allowNull: false },
  });
}

export async function down(qi: QueryInterface): Promise<void> {
  for (const t of ['visitor_sketches', 'rollups', 'sessions', 'processed_events', 'site_tokens', 'sites']) {
    await qi.dropTable(t);
  }
}
