/**
 * The pages of a visit on its own row (ARCHITECTURE.md "Filters": the page breakdown under a visit
 * filter): `page_keys` is the multiset of the visit's pageview paths as their 16-hex value keys
 * (`valueKeyOf`, the same key as a page's rollup rows), sorted and concatenated — at most
 * MAX_VISIT_PAGE_KEYS of them; a visit with more pageviews, and every visit stored before this
 * migration, has NULL (its pages are read from `events`, as before).
 *
 * The column goes into both filter indexes of 0004, so a filtered page breakdown reads the kept visits'
 * pages from the same index range as their other columns instead of joining `events` row by row (the
 * join cost 7 µs per kept pageview in bench/filters.ts, the index entry under 1 µs per kept visit).
 * One ALTER on MySQL/MariaDB (one index build, `LOCK = NONE`: the writer keeps writing meanwhile), separate
 * statements on SQLite.
 */
import { DataTypes, type QueryInterface } from 'sequelize';
import { COUNTRY_INDEX, COUNTRY_INDEX_COLUMNS, FILTER_INDEX, FILTER_INDEX_COLUMNS } from './0004-goals';

/** Characters per key (valueKeyOf) and keys per visit: 512 ASCII bytes in the index entry at most. */
export const PAGE_KEY_LENGTH = 16;
export const MAX_VISIT_PAGE_KEYS = 32;

const WIDTH = PAGE_KEY_LENGTH * MAX_VISIT_PAGE_KEYS;

const list = (columns: readonly string[]) => columns.map((c) => `\`${c}\``).join(', ');

export async function up(qi: QueryInterface): Promise<void> {
  const filter = [...FILTER_INDEX_COLUMNS, 'page_keys'];
  const country = [...COUNTRY_INDEX_COLUMNS, 'page_keys'];
  if (qi.sequelize.getDialect() === 'sqlite') {
    await qi.addColumn('visits', 'page_keys', { type: DataTypes.STRING(WIDTH), allowNull: true });
    await qi.removeIndex('visits', FILTER_INDEX);
    await qi.removeIndex('visits', COUNTRY_INDEX);
    await qi.addIndex('visits', filter, { name: FILTER_INDEX });
    await qi.addIndex('visits', country, { name: COUNTRY_INDEX });
    return;
  }
  await qi.sequelize.query(
    `ALTER TABLE visits ADD COLUMN page_keys VARCHAR(${WIDTH}) CHARACTER SET ascii COLLATE ascii_bin NULL,
       DROP INDEX ${FILTER_INDEX}, ADD INDEX ${FILTER_INDEX} (${list(filter)}),
       DROP INDEX ${COUNTRY_INDEX}, ADD INDEX ${COUNTRY_INDEX} (${list(country)}),
       LOCK = NONE`,
  );
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeIndex('visits', FILTER_INDEX);
  await qi.removeIndex('visits', COUNTRY_INDEX);
  await qi.removeColumn('visits', 'page_keys');
  await qi.addIndex('visits', [...FILTER_INDEX_COLUMNS], { name: FILTER_INDEX });
  await qi.addIndex('visits', [...COUNTRY_INDEX_COLUMNS], { name: COUNTRY_INDEX });
}
