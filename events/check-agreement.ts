/**
 * The differential tests of a quick check (raw-check.ts, enriched-check.ts) against its zod schema: the
 * check may give up (undefined) wherever it likes, but when it answers, zod must accept the same input and
 * build the same JSON. Test code only: nothing in the product imports it.
 */
import type { z } from 'zod';
import { prng } from '../functions/lib/prng';
import { LIMITS } from './limits';

/** Values that break a field of an event in one way each. */
export const HOSTILE: unknown[] = [
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
  '0123456789abcdef',
  '0123456789ABCDEF',
  '0123456789abcde',
  'DE',
  'de',
  'DEU',
  'search',
  'desktop',
  'laptop',
  'x'.repeat(36),
  'x'.repeat(257),
];

export interface Agreement {
  check: (candidate: unknown) => unknown;
  schema: z.ZodType;
  /** valid events, one per shape */
  bases: readonly Record<string, unknown>[];
  /** every key of the schema (from the schema, not from the check), and one it does not have */
  fields: readonly string[];
  seed: number;
  /** mutations of single fields the check must take itself (so it is not a check that always gives up) */
  minFast: number;
}

/** The check's verdict must be zod's whenever it gives one, down to the JSON bytes of the output. */
export function expectAgrees(a: Pick<Agreement, 'check' | 'schema'>, candidate: unknown): 'fast' | 'zod' {
  const fast = a.check(candidate);
  if (fast === undefined) return 'zod';
  const zod = a.schema.safeParse(candidate);
  if (!zod.success) throw new Error(`the quick check accepted what zod refuses: ${JSON.stringify(candidate)}\n${zod.error.message}`);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  return 'fast';
}

/** The shared cases: the bases, every field set to every hostile value or left out, 20,000 random mixes. */
export function describeAgreement(a: Agreement): void {
  it('accepts the valid events of every kind, exactly as zod builds them', () => {
    for (const base of a.bases) {
      expect(a.schema.safeParse(base).success).toBe(true);
      expect(expectAgrees(a, base)).toBe('fast');
    }
  });

  it('never accepts what zod refuses, and agrees on what it accepts, for every field set to every hostile value', () => {
    let fast = 0;
    for (const base of a.bases) {
      for (const field of a.fields) {
        for (const value of HOSTILE) {
          if (expectAgrees(a, { ...base, [field]: value }) === 'fast') fast++;
          const without = { ...base };
          delete without[field];
          expectAgrees(a, without);
        }
      }
    }
    expect(fast).toBeGreaterThan(a.minFast); // the mutations zod accepts too are taken by the fast check
  });

  it('agrees with zod on 20,000 random combinations of valid and hostile fields', () => {
    const random = prng(a.seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const counts = { fast: 0, zod: 0 };
    for (let i = 0; i < 20_000; i++) {
      const candidate: Record<string, unknown> = { ...pick(a.bases) };
      const mutations = Math.floor(random() * 4);
      for (let m = 0; m < mutations; m++) {
        const donor = pick(a.bases);
        const field = pick(a.fields);
        candidate[field] = random() < 0.5 && field in donor ? donor[field] : pick(HOSTILE);
      }
      counts[expectAgrees(a, candidate)]++;
    }
    expect(counts.fast).toBeGreaterThan(2_000);
    expect(counts.zod).toBeGreaterThan(2_000);
  });
}
