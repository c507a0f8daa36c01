/**
 * `npm run migrate` — applies pending migrations to DATABASE_URL (default sqlite:.data/wtm.sqlite);
 * `npm run migrate -- --down` rolls every migration back. The Kubernetes migration Job runs this.
 */
import { createDatabase, sequelizeOptions } from '../lib/db';
import { runMigrations } from '../lib/db/migrate';
import { errorMessage } from '../lib/errors';

const USAGE = `usage: npm run migrate [-- --down]
  applies the schema migrations to DATABASE_URL (default sqlite:.data/wtm.sqlite)
  --down   rolls back every migration (drops the tables: all data is lost)`;

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = argv.filter((a) => a !== '--down');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}\n${USAGE}\n`);
    return 2;
  }
  const url = process.env.DATABASE_URL ?? 'sqlite:.data/wtm.sqlite';
  const db = createDatabase({ url });
  try {
    // Under the migration lock: a concurrent run waits, then finds nothing to do.
    const done = await runMigrations(db.sequelize, {
      kind: sequelizeOptions(url).kind,
      direction: argv.includes('--down') ? 'down' : 'up',
    });
    const verb = argv.includes('--down') ? 'rolled back' : 'applied';
    process.stdout.write(done.length === 0 ? `nothing to do (${verb} 0 migrations)\n` : `${verb}: ${done.join(', ')}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`migrate failed: ${errorMessage(e)}\n`);
    process.exit(1);
  },
);
