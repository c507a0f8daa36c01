/**
 * Goals of a site (migration 0004): a custom event name (`kind: 'event'`) or a page path pattern with `*`
 * for any characters (`kind: 'page'`). The query API reads them to answer `goal` filters and breakdowns.
 */
import { QueryTypes } from 'sequelize';
import { LIMITS } from '../../events/limits';
import type { Database } from '../lib/db';
import { MAX_GOAL_NAME_LENGTH } from '../lib/db/migrations/0004-goals';
import { RegistryError } from './registry';

export type Goal = { id: number; name: string; kind: 'event'; event: string } | { id: number; name: string; kind: 'page'; page: string };

export type GoalInput = { kind: 'event'; event: string; name?: string } | { kind: 'page'; page: string; name?: string };

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The display name a goal gets when none is given (as Plausible names page goals). */
export const defaultGoalName = (g: GoalInput): string => (g.kind === 'event' ? g.event : `Visit ${g.page}`);

/** Checks a goal definition; returns it with its name, or throws RegistryError saying what to fix. */
export function validateGoal(g: GoalInput): Required<GoalInput> {
  if (g.kind === 'event' && (g.event.length === 0 || g.event.length > LIMITS.maxNameLength || CONTROL.test(g.event))) {
    throw new RegistryError(`an event goal needs a custom event name of 1 to ${LIMITS.maxNameLength} characters`);
  }
  if (g.kind === 'page' && (!g.page.startsWith('/') || g.page.length > LIMITS.maxUrlLength || CONTROL.test(g.page))) {
    throw new RegistryError(
      `a page goal needs a path pattern starting with / (at most ${LIMITS.maxUrlLength} characters; * = any characters)`,
    );
  }
  const name = (g.name ?? defaultGoalName(g)).trim();
  if (name.length === 0 || name.length > MAX_GOAL_NAME_LENGTH || CONTROL.test(name)) {
    throw new RegistryError(`a goal name must be 1 to ${MAX_GOAL_NAME_LENGTH} characters without control characters`);
  }
  return g.kind === 'event' ? { kind: 'event', event: g.event, name } : { kind: 'page', page: g.page, name };
}

interface GoalRow {
  id: number | string;
  name: string;
  kind: string;
  event_name: string;
  page_pattern: string;
}

const toGoal = (r: GoalRow): Goal =>
  r.kind === 'event'
    ? { id: Number(r.id), name: r.name, kind: 'event', event: r.event_name }
    : { id: Number(r.id), name: r.name, kind: 'page', page: r.page_pattern };

/** A site's goals, oldest first. */
export async function getGoals(db: Database, siteId: number): Promise<Goal[]> {
  const rows = await db.sequelize.query<GoalRow>(
    'SELECT id, name, kind, event_name, page_pattern FROM goals WHERE site_id = ? ORDER BY id',
    { type: QueryTypes.SELECT, replacements: [siteId] },
  );
  return rows.map(toGoal);
}

export interface GoalRegistry {
  add(hostname: string, goal: GoalInput): Promise<Goal>;
  list(hostname: string): Promise<Goal[]>;
  /** Removes by id or by name; returns whether one was removed. */
  remove(hostname: string, idOrName: string): Promise<boolean>;
}

export function createGoalRegistry(db: Database, opts: { now?: () => number } = {}): GoalRegistry {
  const now = opts.now ?? Date.now;
  const siteId = async (hostname: string): Promise<number> => {
    const rows = await db.sequelize.query<{ id: number | string }>('SELECT id FROM sites WHERE hostname = ?', {
      type: QueryTypes.SELECT,
      replacements: [hostname],
    });
    if (rows[0] === undefined) throw new RegistryError(`site "${hostname}" is not registered (see \`npm run sites -- list\`)`);
    return Number(rows[0].id);
  };
  return {
    async add(hostname, input) {
      const goal = validateGoal(input);
      const id = await siteId(hostname);
      const existing = await getGoals(db, id);
      // Names are compared ignoring case: MySQL's unique index would, SQLite's would not.
      if (existing.some((g) => g.name.toLowerCase() === goal.name.toLowerCase())) {
        throw new RegistryError(`${hostname} already has a goal named "${goal.name}" (give another with --name)`);
      }
      const ins = db.dialect.insert(
        'goals',
        ['site_id', 'name', 'kind', 'event_name', 'page_pattern', 'created_at'],
        [[id, goal.name, goal.kind, goal.kind === 'event' ? goal.event : '', goal.kind === 'page' ? goal.page : '', now()]],
      );
      await db.sequelize.query(ins.sql, { replacements: ins.replacements });
      const added = (await getGoals(db, id)).find((g) => g.name === goal.name);
      if (added === undefined) throw new Error('the goal was not stored');
      return added;
    },
    async list(hostname) {
      return getGoals(db, await siteId(hostname));
    },
    async remove(hostname, idOrName) {
      const id = await siteId(hostname);
      const goal = (await getGoals(db, id)).find((g) => String(g.id) === idOrName || g.name === idOrName);
      if (goal === undefined) return false;
      await db.sequelize.query('DELETE FROM goals WHERE site_id = ? AND id = ?', { replacements: [id, goal.id] });
      return true;
    },
  };
}
