import { createDatabase, type Database } from '../lib/db';
import { createGoalRegistry, getGoals, validateGoal } from './goals';
import { RegistryError, createSiteRegistry } from './registry';

describe('goal registry (SQLite)', () => {
  let db: Database;
  beforeAll(async () => {
    db = createDatabase({ url: 'sqlite::memory:' });
    await db.migrate();
    await createSiteRegistry(db).add({ hostname: 'shop.example', timezone: 'UTC', isPublic: true });
  });
  afterAll(() => db.close());

  it('adds event and page goals with default names, lists them oldest first and removes by id or name', async () => {
    const goals = createGoalRegistry(db);
    const signup = await goals.add('shop.example', { kind: 'event', event: 'signup' });
    const pricing = await goals.add('shop.example', { kind: 'page', page: '/pricing*' });
    const named = await goals.add('shop.example', { kind: 'event', event: 'buy', name: 'Purchase' });
    expect([signup, pricing, named]).toEqual([
      { id: expect.any(Number) as number, name: 'signup', kind: 'event', event: 'signup' },
      { id: expect.any(Number) as number, name: 'Visit /pricing*', kind: 'page', page: '/pricing*' },
      { id: expect.any(Number) as number, name: 'Purchase', kind: 'event', event: 'buy' },
    ]);
    expect((await goals.list('shop.example')).map((g) => g.name)).toEqual(['signup', 'Visit /pricing*', 'Purchase']);
    await expect(goals.add('shop.example', { kind: 'event', event: 'other', name: 'PURCHASE' })).rejects.toThrow(/already has a goal/);
    expect(await goals.remove('shop.example', String(signup.id))).toBe(true);
    expect(await goals.remove('shop.example', 'Purchase')).toBe(true);
    expect(await goals.remove('shop.example', 'Purchase')).toBe(false);
    expect((await goals.list('shop.example')).map((g) => g.name)).toEqual(['Visit /pricing*']);
    await expect(goals.list('missing.example')).rejects.toThrow(/not registered/);
  });

  it('removing a site removes its goals', async () => {
    const sites = createSiteRegistry(db);
    const s = await sites.add({ hostname: 'gone.example', timezone: 'UTC', isPublic: false });
    await createGoalRegistry(db).add('gone.example', { kind: 'event', event: 'x' });
    expect(await getGoals(db, s.id)).toHaveLength(1);
    await sites.remove('gone.example');
    expect(await getGoals(db, s.id)).toHaveLength(0);
  });

  it.each([
    [{ kind: 'event', event: '' }, /custom event name/],
    [{ kind: 'event', event: 'x'.repeat(65) }, /custom event name/],
    [{ kind: 'page', page: 'pricing' }, /starting with \//],
    [{ kind: 'page', page: '/a', name: ' ' }, /goal name/],
    [{ kind: 'page', page: '/a', name: 'a\u0000' }, /goal name/],
  ] as const)('refuses %j', (input, message) => {
    expect(() => validateGoal(input)).toThrow(RegistryError);
    expect(() => validateGoal(input)).toThrow(message);
  });
});
