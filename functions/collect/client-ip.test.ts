import { clientIp, normalizeIp, parseTrustedProxies, rateLimitKey, TrustedProxiesError } from './client-ip';

describe('parseTrustedProxies', () => {
  it('parses addresses and CIDRs of both families', () => {
    const t = parseTrustedProxies(' 10.0.0.0/8, 127.0.0.1 ,fd00::/8,::1 ');
    expect(['10.1.2.3', '127.0.0.1', 'fd12::1', '::1'].map((ip) => t.has(ip))).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '127.0.0.2', 'fe80::1', 'junk'].map((ip) => t.has(ip))).toEqual([false, false, false, false]);
    expect(t.text).toBe('10.0.0.0/8,127.0.0.1,fd00::/8,::1');
  });
  it('an empty list trusts nobody', () => {
    expect(parseTrustedProxies('').has('127.0.0.1')).toBe(false);
  });
  it.each(['10.0.0.0/33', 'example.com', '10.0.0.0/', '10.0.0.0/8/1', '::1/129', '1.2.3'])('refuses %s', (bad) => {
    expect(() => parseTrustedProxies(bad)).toThrow(TrustedProxiesError);
  });
});

describe('normalizeIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4:8080 ', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['[2001:DB8::1]:443', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['unknown', undefined],
    ['1.2.3.256', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (raw, want) => {
    expect(normalizeIp(raw)).toBe(want);
  });
});

describe('clientIp', () => {
  const trusted = parseTrustedProxies('10.0.0.0/8,127.0.0.1');
  it.each<[string, string, string | string[] | undefined, string]>([
    ['no header: the socket', '203.0.113.9', undefined, '203.0.113.9'],
    ['an untrusted peer cannot forge the header', '203.0.113.9', '198.51.100.1', '203.0.113.9'],
    ['a trusted peer: the hop before it', '10.0.0.5', '198.51.100.1', '198.51.100.1'],
    [
      'the first untrusted hop from the right, not the leftmost (forged) one',
      '127.0.0.1',
      '6.6.6.6, 198.51.100.1, 10.0.0.7',
      '198.51.100.1',
    ],
    ['all hops trusted: the leftmost', '127.0.0.1', '10.0.0.9, 10.0.0.7', '10.0.0.9'],
    ['garbage in the chain stops at the nearest vouched address', '127.0.0.1', '198.51.100.1, nonsense, 10.0.0.7', '10.0.0.7'],
    ['a dual-stack socket address', '::ffff:10.0.0.5', '198.51.100.1', '198.51.100.1'],
    ['ports and brackets in hops', '10.0.0.5', '[2001:db8::7]:1234', '2001:db8::7'],
    ['repeated headers are one list', '10.0.0.5', ['6.6.6.6', '198.51.100.1'], '198.51.100.1'],
  ])('%s', (_label, peer, xff, want) => {
    expect(clientIp(peer, xff, trusted)).toBe(want);
  });
  it('an unknown socket address gives undefined', () => {
    expect(clientIp(undefined, '1.2.3.4', trusted)).toBeUndefined();
  });
  it('a long header is examined only so far', () => {
    const hops = Array.from({ length: 500 }, () => '10.0.0.1').join(',');
    expect(clientIp('10.0.0.5', `198.51.100.1,${hops}`, trusted)).toBe('10.0.0.1');
  });
});

describe('rateLimitKey', () => {
  it('IPv4 addresses are their own key; IPv6 is keyed by its /64', () => {
    expect(rateLimitKey('203.0.113.9')).toBe('203.0.113.9');
    expect(rateLimitKey('2001:db8:1:2:aaaa::1')).toBe('2001:0db8:0001:0002::/64');
    expect(rateLimitKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(rateLimitKey('2001:db8:1:2::9'));
    expect(rateLimitKey('::1')).toBe('0000:0000:0000:0000::/64');
    expect(rateLimitKey('64:ff9b::192.0.2.1')).toBe('0064:ff9b:0000:0000::/64');
  });
});
