/**
 * Readiness checks shared by the functions: the database answers, and its schema is the one this
 * build was written for (serving functions never migrate; the migration Job does). A change of state
 * is logged once, with the detail; the answer only names what is down.
 */
import type { Database } from './db';
import { describePendingSchema } from './db/migrate';
import { errorMessage } from './errors';
import type { Readiness } from './function';
import type { Logger } from './logger';

/** The database answers and every migration of this build is applied. */
export async function checkDatabase(db: Pick<Database, 'schemaStatus'>): Promise<Readiness> {
  let status;
  try {
    status = await db.schemaStatus();
  } catch (e) {
    return { ok: false, down: ['database'], reason: `database: ${errorMessage(e)}` };
  }
  return status.current ? { ok: true } : { ok: false, down: ['schema'], reason: describePendingSchema(status) };
}

/** Both must be ok; the `down` lists are joined. */
export function combineReadiness(...all: readonly Readiness[]): Readiness {
  const bad = all.filter((r): r is Extract<Readiness, { ok: false }> => !r.ok);
  if (bad.length === 0) return { ok: true };
  return { ok: false, down: [...new Set(bad.flatMap((r) => r.down))], reason: bad.map((r) => r.reason).join('; ') };
}

/**
 * Wraps a readiness check so that each change of state is logged once (warn when it becomes unready,
 * with the reason; info when it recovers) instead of once per probe every few seconds.
 */
export function createReadinessLog(logger: Logger, check: () => Promise<Readiness>): () => Promise<Readiness> {
  let last: string | undefined;
  return async () => {
    const r = await check().catch((e: unknown): Readiness => ({ ok: false, down: ['database'], reason: errorMessage(e) }));
    const key = r.ok ? 'ready' : `${r.down.join(',')}|${r.reason}`;
    if (key !== last) {
      if (r.ok) {
        if (last !== undefined) logger.info('ready again');
      } else logger.warn({ down: r.down, reason: r.reason }, `not ready: ${r.reason}`);
      last = key;
    }
    return r;
  };
}
