import { ConfigError } from './config';
import { readHttpServerConfig } from './server-config';
import { clientAddress, isJsonContentType, parseTrustedProxies } from './http-server';
import { readinessBody } from './function';
import { combineReadiness } from './readiness';

describe('clientAddress', () => {
  const trusted = parseTrustedProxies('10.0.0.0/8, fd00::/8');
  it.each([
    ['an untrusted peer is the client, whatever it forwards', '203.0.113.9', '1.2.3.4', '203.0.113.9'],
    ['a trusted peer: the right-most untrusted hop', '10.1.2.3', '6.6.6.6, 198.51.100.7, 10.9.9.9', '198.51.100.7'],
    ['IPv4-mapped peers are IPv4', '::ffff:10.1.2.3', '198.51.100.7', '198.51.100.7'],
    ['a trusted peer without a header is the client', '10.1.2.3', undefined, '10.1.2.3'],
    ['garbage hops are skipped', '10.1.2.3', 'not-an-ip, 198.51.100.8', '198.51.100.8'],
    ['IPv6 proxies', 'fd00::1', '2001:db8::5', '2001:db8::5'],
  ])('%s', (_name, peer, xff, want) => {
    expect(clientAddress(peer, xff, trusted)).toBe(want);
  });
  it('without trusted proxies the header is ignored', () => {
    expect(clientAddress('10.1.2.3', '198.51.100.7', undefined)).toBe('10.1.2.3');
  });
  it('rejects what is not an address or CIDR', () => {
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/WTM_TRUSTED_PROXIES/);
    expect(() => parseTrustedProxies('proxy.local')).toThrow(/WTM_TRUSTED_PROXIES/);
    expect(parseTrustedProxies(' ')).toBeUndefined();
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/cloudevents+json', true],
    ['text/plain', false],
    ['application/octet-stream', false],
    [undefined, false],
  ])('%s -> %s', (type, want) => expect(isJsonContentType(type)).toBe(want));
});

describe('readHttpServerConfig', () => {
  it('public targets get small bodies and a rate limit; internal ones take a Kafka record', () => {
    const q = readHttpServerConfig({}, 'query');
    expect([q.limits.maxBodyBytes, q.rateLimitPerSecond, q.rateLimitBurst]).toEqual([128 * 1024, 10, 60]);
    const e = readHttpServerConfig({}, 'enrich');
    expect([e.limits.maxBodyBytes, e.rateLimitPerSecond]).toEqual([1024 * 1024 + 64 * 1024, 0]);
    expect(readHttpServerConfig({ WTM_RATE_LIMIT_PER_SECOND: '0' }, 'query').rateLimitPerSecond).toBe(0);
  });
  it('names the variable of a bad value', () => {
    expect(() => readHttpServerConfig({ WTM_HTTP_MAX_BODY_BYTES: '1e9' }, 'query')).toThrow(ConfigError);
    expect(() => readHttpServerConfig({ WTM_HTTP_MAX_BODY_BYTES: '1e9' }, 'query')).toThrow(/WTM_HTTP_MAX_BODY_BYTES/);
    expect(() => readHttpServerConfig({ WTM_HTTP_HEADERS_TIMEOUT_MS: '60000', WTM_HTTP_REQUEST_TIMEOUT_MS: '1000' }, 'query')).toThrow(
      /WTM_HTTP_HEADERS_TIMEOUT_MS/,
    );
  });
});

describe('readiness answers', () => {
  it('name what is down and never the reason', () => {
    const r = combineReadiness(
      { ok: false, down: ['database'], reason: 'database: connect ECONNREFUSED 10.0.0.5:3306 (user wtm)' },
      { ok: false, down: ['kafka'], reason: 'kafka: no broker answers' },
      { ok: true },
    );
    expect(JSON.stringify(readinessBody(r))).toBe('{"ready":false,"down":["database","kafka"]}');
    expect(readinessBody(combineReadiness({ ok: true }))).toEqual({ ready: true });
  });
});
