/**
 * Goals (DESIGN §10): per-site definitions of a conversion — a custom event name, or a page path
 * pattern where `*` stands for any characters. `name` is the display name the API and filters use
 * (`goal==Signup`), unique per site.
 */
import { DataTypes, type QueryInterface } from 'sequelize';
import { LIMITS } from '../../../../events/limits';

export const MAX_GOAL_NAME_LENGTH = 120;

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable('goals', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    site_id: { type: DataTypes.INTEGER, allowNull: false },
    name: { type: DataTypes.STRING(MAX_GOAL_NAME_LENGTH), allowNull: false },
    kind: { type: DataTypes.STRING(8), allowNull: false },
    event_name: { type: DataTypes.STRING(LIMITS.maxNameLength), allowNull: false, defaultValue: '' },
    page_pattern: { type: DataTypes.STRING(LIMITS.maxUrlLength), allowNull: false, defaultValue: '' },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex('goals', ['site_id', 'name'], { unique: true, name: 'goals_site_id_name' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('goals');
}
