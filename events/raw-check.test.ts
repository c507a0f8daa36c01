import { checkRawTraffic } from './raw-check';
import { rawTrafficSchema } from './schemas';
import { describeAgreement, expectAgrees } from './check-agreement';

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

describe('checkRawTraffic', () => {
  describeAgreement({
    check: checkRawTraffic,
    schema: rawTrafficSchema,
    bases: BASES,
    // every key of every kind (from the schema, not from the check), and one that no kind has
    fields: [...new Set(rawTrafficSchema.options.flatMap((o) => Object.keys(o.shape))), 'extra'],
    seed: 20261202,
    minFast: 100,
  });

  it('takes IPv6 addresses as zod does (its pattern, then the URL host parse)', () => {
    const base = BASES[0]!;
    for (const ip of ['2001:db8::1', '::1', 'fe80::1:2:3:4'])
      expect(expectAgrees({ check: checkRawTraffic, schema: rawTrafficSchema }, { ...base, ip })).toBe('fast');
    for (const ip of ['2001:db8::1::2', '::ffff:1.2.3.4', '::@1\\', '::1\n']) expect(checkRawTraffic({ ...base, ip })).toBeUndefined();
  });

  it('leaves to zod what it cannot tell (keys set to undefined, non-plain objects)', () => {
    const base = BASES[0]!;
    expect(checkRawTraffic({ ...base, referrer: undefined })).toBeUndefined();
    expect(checkRawTraffic(Object.assign(Object.create({ inherited: 1 }) as object, base))).toBeUndefined();
    expect(checkRawTraffic([base])).toBeUndefined();
  });
});
