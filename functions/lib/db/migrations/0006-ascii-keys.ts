/**
 * Lighter fact writes (issue 12, ARCHITECTURE.md "ASCII keys"): the hex keys of the fact tables — event,
 * visit and visitor ids — become `CHARACTER SET ascii COLLATE ascii_bin` on MySQL/MariaDB (they were the
 * tables' utf8mb4 with a case-insensitive collation: up to 4 bytes a character in every index entry and a
 * collation-aware comparison at every step of every B-tree descent), and `visits (site_id, day)` goes: the
 * filter index of 0004 starts with the same two columns and serves every read it served (day ranges,
 * the prune). Measured on the aggregate stage without Kafka (A/B in one process, 40,000 events, medians
 * of 6; BENCHMARKS.md "ASCII keys, optimistic dedupe, …"): 46 → 37 µs of MariaDB CPU per event with ASCII
 * keys, 32 with the index gone too.
 *
 * One ALTER per table. A character-set change rebuilds the table (ALGORITHM = COPY: writes wait while it
 * runs): 80 s for 3.1 M events and 1.25 M visits here (30 days at 100 k pageviews a day), so about 25 s per
 * million events. SQLite compares text bytewise already: nothing to do there but drop the index.
 */
import type { QueryInterface } from 'sequelize';

const ASCII = 'CHARACTER SET ascii COLLATE ascii_bin';
const DAY_INDEX = 'visits_site_id_day';

/** (table, column, width) of every hex key of the facts. */
const KEYS: readonly (readonly [string, string, number])[] = [
  ['events', 'event_key', 32],
  ['events', 'visit_key', 32],
  ['events', 'visitor_id', 16],
  ['event_props', 'event_key', 32],
  ['visits', 'visit_key', 32],
  ['visits', 'visitor_id', 16],
  ['visits', 'prev_visitor_id', 16],
  ['visits', 'first_event_key', 32],
  ['visits', 'last_event_key', 32],
  ['visits', 'entry_event_key', 32],
  ['visits', 'exit_event_key', 32],
];

/** `MODIFY` clauses per table; primary-key columns (events.event_key, event_props.event_key, visits.visit_key) have no default. */
function alterations(charset: string): Map<string, string[]> {
  const primary = new Set(['events.event_key', 'event_props.event_key', 'visits.visit_key']);
  const out = new Map<string, string[]>();
  for (const [table, column, width] of KEYS) {
    const clause = `MODIFY \`${column}\` CHAR(${width}) ${charset} NOT NULL${primary.has(`${table}.${column}`) ? '' : " DEFAULT ''"}`;
    out.set(table, [...(out.get(table) ?? []), clause]);
  }
  return out;
}

export async function up(qi: QueryInterface): Promise<void> {
  if (qi.sequelize.getDialect() === 'sqlite') {
    await qi.removeIndex('visits', DAY_INDEX);
    return;
  }
  for (const [table, clauses] of alterations(ASCII)) {
    const drop = table === 'visits' ? [`DROP INDEX ${DAY_INDEX}`] : [];
    await qi.sequelize.query(`ALTER TABLE \`${table}\` ${[...clauses, ...drop].join(', ')}`);
  }
}

export async function down(qi: QueryInterface): Promise<void> {
  if (qi.sequelize.getDialect() === 'sqlite') {
    await qi.addIndex('visits', ['site_id', 'day'], { name: DAY_INDEX });
    return;
  }
  // the character set's default collation, as the tables had it (MariaDB utf8mb4_general_ci, MySQL 8 utf8mb4_0900_ai_ci)
  for (const [table, clauses] of alterations('CHARACTER SET utf8mb4')) {
    const add = table === 'visits' ? [`ADD INDEX ${DAY_INDEX} (\`site_id\`, \`day\`)`] : [];
    await qi.sequelize.query(`ALTER TABLE \`${table}\` ${[...clauses, ...add].join(', ')}`);
  }
}
