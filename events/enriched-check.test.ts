import { fixtureEvent, FIXTURE_SITES } from '../functions/aggregate/fixtures';
import { describeAgreement } from './check-agreement';
import { checkEnrichedTraffic } from './enriched-check';
import { enrichedTrafficSchema, type EnrichedTraffic } from './schemas';

const at = (kind: EnrichedTraffic['kind'], extra: Partial<EnrichedTraffic> = {}) =>
  fixtureEvent({ site: FIXTURE_SITES[0]!, person: 'p1', t: Date.UTC(2026, 11, 2, 10), id: 'e1', kind, path: '/app/home' }, extra)
    .data as unknown as Record<string, unknown>;

const PAGEVIEW = at('pageview', { referrer: 'https://www.google.com/', source: 'Google', channel: 'search', screenWidth: 1280 });
const BASES = [
  PAGEVIEW,
  at('event', {
    props: { plan: 'pro', seats: 3, trial: false, '<b>': '<script>alert(1)</script>' },
    revenue: { amount: '12.50', currency: 'EUR' },
    interactive: false,
    country: 'ZZ',
  }),
  at('engagement', { engagementMs: 5240, scrollDepth: 100, timestamp: '2026-02-28T23:59:59+01:00' }),
  at('pageview', { bot: true, device: 'other', language: '' }),
];

describe('checkEnrichedTraffic', () => {
  describeAgreement({
    check: checkEnrichedTraffic,
    schema: enrichedTrafficSchema,
    bases: BASES,
    fields: [...Object.keys(enrichedTrafficSchema.shape), 'extra'],
    seed: 20261203,
    minFast: 300,
  });

  it('copies props and revenue (the caller may keep the output; zod copies too)', () => {
    const base = BASES[1]!;
    const out = checkEnrichedTraffic(base)!;
    expect(out.props).not.toBe(base.props);
    expect(out.revenue).not.toBe(base.revenue);
  });

  it('leaves to zod what it cannot tell (keys set to undefined, non-plain objects)', () => {
    expect(checkEnrichedTraffic({ ...PAGEVIEW, referrer: undefined })).toBeUndefined();
    expect(checkEnrichedTraffic(Object.assign(Object.create({ inherited: 1 }) as object, PAGEVIEW))).toBeUndefined();
    expect(checkEnrichedTraffic([PAGEVIEW])).toBeUndefined();
  });
});
