import { createDatabase, type Database } from '../lib/db';
import { createCachedSiteLookup, createSiteRegistry, hashToken, RegistryError, type SiteRegistry } from './registry';

describe('site registry (SQLite)', () => {
  let db: Database;
  let registry: SiteRegistry;
  beforeAll(async () => {
    db = createDatabase({ url: 'sqlite::memory:' });
    await db.migrate();
    registry = createSiteRegistry(db);
  });
  afterAll(() => db.close());

  it('adds, updates idempotently, lists, toggles visibility and removes sites', async () => {
    const a = await registry.add({ hostname: 'shop.example', timezone: 'Europe/Berlin', isPublic: true });
    expect(a).toMatchObject({ hostname: 'shop.example', timezone: 'Europe/Berlin', isPublic: true });
    const again = await registry.add({ hostname: 'shop.example', timezone: 'UTC', isPublic: false });
    expect(again).toEqual({ ...a, timezone: 'UTC', isPublic: false });
    await registry.add({ hostname: 'blog.example', timezone: 'Asia/Kolkata', isPublic: false });
    expect((await registry.list()).map((s) => s.hostname)).toEqual(['blog.example', 'shop.example']);
    expect(await registry.setPublic('blog.example', true)).toMatchObject({ isPublic: true });
    expect((await registry.get('blog.example'))?.isPublic).toBe(true);
    expect(await registry.remove('blog.example')).toBe(true);
    expect(await registry.remove('blog.example')).toBe(false);
    expect(await registry.get('blog.example')).toBeUndefined();
  });

  it('refuses bad hostnames and time zones with a clear error', async () => {
    await expect(registry.add({ hostname: 'Not A Host', timezone: 'UTC', isPublic: true })).rejects.toThrow(RegistryError);
    await expect(registry.add({ hostname: 'ok.example', timezone: 'Mars/Olympus', isPublic: true })).rejects.toThrow(/IANA/);
    await expect(registry.createToken('missing.example')).rejects.toThrow(/not registered/);
  });

  it('stores only token hashes, verifies live tokens and revokes by token or hash prefix', async () => {
    await registry.add({ hostname: 'private.example', timezone: 'UTC', isPublic: false });
    const t1 = await registry.createToken('private.example', 'dashboard');
    const t2 = await registry.createToken('private.example', 'ci');
    expect(t1).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await db.sequelize.query('SELECT token_hash FROM site_tokens', { raw: true });
    expect(JSON.stringify(stored)).not.toContain(t1);
    expect(JSON.stringify(stored)).toContain(hashToken(t1));
    expect(await registry.verifyToken('private.example', t1)).toBe(true);
    expect(await registry.verifyToken('private.example', 'nope')).toBe(false);
    expect(await registry.verifyToken('shop.example', t1)).toBe(false);
    expect(await registry.revokeToken('private.example', t1)).toBe(1);
    expect(await registry.verifyToken('private.example', t1)).toBe(false);
    const live = (await registry.listTokens('private.example')).find((t) => t.revokedAt === null)!;
    expect(live.label).toBe('ci');
    expect(await registry.revokeToken('private.example', live.hashPrefix)).toBe(1);
    expect(await registry.verifyToken('private.example', t2)).toBe(false);
    expect(await registry.revokeToken('private.example', live.hashPrefix)).toBe(0);
  });
});

describe('createCachedSiteLookup', () => {
  it('answers from the cache within the TTL, asks again after it, and forgets failures', async () => {
    let clock = 0;
    let calls = 0;
    let fail = false;
    const site = { id: 1, hostname: 'a.example', timezone: 'UTC', isPublic: true };
    const lookup = createCachedSiteLookup(
      {
        get: async (h: string) => {
          calls++;
          if (fail) throw new Error('db down');
          return h === 'a.example' ? site : undefined;
        },
      },
      { ttlMs: 1000, now: () => clock },
    );
    expect(await Promise.all([lookup.getSite('a.example'), lookup.getSite('a.example')])).toEqual([site, site]);
    expect(await lookup.getSite('b.example')).toBeUndefined();
    expect(await lookup.getSite('b.example')).toBeUndefined();
    expect(calls).toBe(2);
    clock = 1000;
    fail = true;
    await expect(lookup.getSite('a.example')).rejects.toThrow('db down');
    fail = false;
    expect(await lookup.getSite('a.example')).toEqual(site);
    expect(calls).toBe(4);
  });
});
