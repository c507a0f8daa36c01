import { checkRawTraffic } from './raw-check';
import { rawTrafficSchema } from './schemas';
import { LIMITS } from './limits';
import { prng } from '../functions/lib/prng';

const BASES: Record<string, unknown>[] = [
  {
    kind: 'pageview',
    site: 'blog.example',
    url: 'https://blog.example/app/home?x=1#top',
    timestamp: '2026-12-02T10:00:00.000Z',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0.0.0 Safari/537.36',
    ip: '203.0.113.9',
  },
  {
    kind: 'pageview',
    site: 'a-b.example.co.uk',
    url: 'http://a-b.example.co.uk/ü/ß',
    referrer: 'https://www.google.com/',
    timestamp: '2026-02-28T23:59:59+01:00',
    userAgent: 'curl/8',
    ip: '10.0.0.1',
    screenWidth: 1280,
    language: 'de-CH',
    sessionId: 'abc:1.2_3-4',
    hashMode: true,
  },
  {
    kind: 'event',
    name: 'signup',
    props: { plan: 'pro', seats: 3, trial: false, '<b>': '<script>alert(1)</script>' },
    revenue: { amount: '12.50', currency: 'EUR' },
    interactive: false,
    site: 'shop.example',
    url: 'https://shop.example/checkout',
    referrer: '',
    timestamp: '2024-02-29T00:00:00Z',
    userAgent: 'Mozilla/5.0',
    ip: '198.51.100.200',
  },
  {
    kind: 'engagement',
    scrollDepth: 100,
    engagementMs: 524,
    site: 'blog.example',
    url: 'https://blog.example/app/home',
    timestamp: '2026-12-02T10:00:00.123456Z',
    userAgent: 'Mozilla/5.0',
    ip: '0.0.0.0',
  },
];

const HOSTILE: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'x',
  'a'.repeat(65),
  'a'.repeat(LIMITS.maxUrlLength + 1),
  'line\nbreak',
  'tab\t',
  '\u2028',
  '\u0085',
  'https://',
  'ftp://blog.example/',
  'javascript:alert(1)',
  'https://blog.example/' + 'p'.repeat(LIMITS.maxUrlLength),
  'http://[::1]/',
  'EXAMPLE.com',
  'exa_mple.com',
  '-a.example',
  '2026-13-01T00:00:00Z',
  '2025-02-29T00:00:00Z',
  '2026-12-02T24:00:00Z',
  '2026-12-02 10:00:00Z',
  '2026-12-02T10:00:00',
  '256.1.1.1',
  '01.2.3.4',
  '::1',
  '2001:db8::1',
  '::ffff:1.2.3.4',
  0,
  -1,
  1.5,
  100_001,
  101,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  24 * 60 * 60 * 1000 + 1,
  true,
  false,
  'true',
  [],
  ['a'],
  {},
  { amount: '1', currency: 'EUR', extra: 1 },
  { amount: 1, currency: 'EUR' },
  { amount: '1.1234567', currency: 'EUR' },
  { amount: '1', currency: 'eur' },
  { amount: '-0.5', currency: 'USD' },
  Object.create(null) as unknown,
  JSON.parse('{"__proto__": "x"}') as unknown,
  { '': 'empty key' },
  { k: null },
  { k: { nested: 1 } },
  { k: Number.NaN },
  { k: 'v'.repeat(LIMITS.maxPropValueLength + 1) },
  { ['k'.repeat(LIMITS.maxPropKeyLength + 1)]: 'v' },
  Object.fromEntries(Array.from({ length: LIMITS.maxPropKeys }, (_, i) => [`k${i}`, i])),
  Object.fromEntries(Array.from({ length: LIMITS.maxPropKeys + 1 }, (_, i) => [`k${i}`, i])),
  { 1: 'numeric key', b: 'x', a: 'y' },
  'de',
  'de-CH-x-private',
  'deutsch',
  'de_CH',
  'a'.repeat(129),
  'sess id',
  'pageview',
  'event',
  'engagement',
  'unknown',
];

/** Every key of every kind (from the schema, not from the check), and one that no kind has. */
const FIELDS = [...new Set(rawTrafficSchema.options.flatMap((o) => Object.keys(o.shape))), 'extra'];

/** The check's verdict must be zod's whenever it gives one, down to the JSON bytes of the output. */
function expectAgrees(candidate: unknown): 'fast' | 'zod' {
  const fast = checkRawTraffic(candidate);
  if (fast === undefined) return 'zod';
  const zod = rawTrafficSchema.safeParse(candidate);
  if (!zod.success) throw new Error(`checkRawTraffic accepted what zod refuses: ${JSON.stringify(candidate)}\n${zod.error.message}`);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  return 'fast';
}

describe('checkRawTraffic', () => {
  it('accepts the valid events of every kind, exactly as zod builds them', () => {
    for (const base of BASES) {
      expect(rawTrafficSchema.safeParse(base).success).toBe(true);
      expect(expectAgrees(base)).toBe('fast');
    }
  });

  it('leaves to zod what it cannot tell (IPv6, keys set to undefined, non-plain objects)', () => {
    const base = BASES[0]!;
    expect(checkRawTraffic({ ...base, ip: '2001:db8::1' })).toBeUndefined();
    expect(checkRawTraffic({ ...base, referrer: undefined })).toBeUndefined();
    expect(checkRawTraffic(Object.assign(Object.create({ inherited: 1 }) as object, base))).toBeUndefined();
    expect(checkRawTraffic([base])).toBeUndefined();
  });

  it('never accepts what zod refuses, and agrees on what it accepts, for every field set to every hostile value', () => {
    let fast = 0;
    for (const base of BASES) {
      for (const field of FIELDS) {
        for (const value of HOSTILE) {
          if (expectAgrees({ ...base, [field]: value }) === 'fast') fast++;
          const without = { ...base };
          delete without[field];
          expectAgrees(without);
        }
      }
    }
    expect(fast).toBeGreaterThan(100); // the mutations zod accepts too are taken by the fast check
  });

  it('agrees with zod on 20,000 random combinations of valid and hostile fields', () => {
    const random = prng(20261202);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const counts = { fast: 0, zod: 0 };
    for (let i = 0; i < 20_000; i++) {
      const candidate: Record<string, unknown> = { ...pick(BASES) };
      const mutations = Math.floor(random() * 4);
      for (let m = 0; m < mutations; m++) {
        const donor = pick(BASES);
        const field = pick(FIELDS);
        candidate[field] = random() < 0.5 && field in donor ? donor[field] : pick(HOSTILE);
      }
      counts[expectAgrees(candidate)]++;
    }
    expect(counts.fast).toBeGreaterThan(2_000);
    expect(counts.zod).toBeGreaterThan(2_000);
  });
});
