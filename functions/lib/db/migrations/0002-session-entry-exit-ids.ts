/**
 * Entry and exit pages are chosen by (time, event key); keeping the key of the pageview that set
 * them makes equal timestamps break the same way whatever order the events arrive in.
 */
import { DataTypes, type QueryInterface } from 'sequelize';

const eventKey = { type: DataTypes.CHAR(32), allowNull: false, defaultValue: '' };

export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('sessions', 'entry_event_id', eventKey);
  await qi.addColumn('sessions', 'exit_event_id', eventKey);
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeColumn('sessions', 'exit_event_id');
  await qi.removeColumn('sessions', 'entry_event_id');
}
