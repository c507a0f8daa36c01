/** Migrations run by umzug, recorded in `SequelizeMeta`. Listed explicitly so bundles carry them. */
import { Umzug, SequelizeStorage } from 'umzug';
import type { QueryInterface, Sequelize } from 'sequelize';
import * as m0001 from './migrations/0001-initial';
import * as m0002 from './migrations/0002-session-entry-exit-ids';
import * as m0003 from './migrations/0003-storage-v2';

export interface Migration {
  up(qi: QueryInterface): Promise<void>;
  down(qi: QueryInterface): Promise<void>;
}

export const MIGRATIONS: readonly { name: string; migration: Migration }[] = [
  { name: '0001-initial', migration: m0001 },
  { name: '0002-session-entry-exit-ids', migration: m0002 },
  { name: '0003-storage-v2', migration: m0003 },
];

export function createMigrator(sequelize: Sequelize) {
  return new Umzug<QueryInterface>({
    migrations: MIGRATIONS.map(({ name, migration }) => ({
      name,
      up: ({ context }) => migration.up(context),
      down: ({ context }) => migration.down(context),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize }),
    logger: undefined,
  });
}
