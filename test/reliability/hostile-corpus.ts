/**
 * Hostile input: each case is one way a producer, a crawler or an attacker can get a raw event
 * wrong, with the reason enrich must reject it with (undefined = any reason of the closed set, the
 * point being that it is rejected, not which check catches it first). `valid` cases look hostile but
 * are well-formed events: they must be counted, and their text stored as data, verbatim.
 */
import { EVENT_TYPES, LIMITS, type RawTraffic, type RejectReason } from '../../events';

export interface HostileCase {
  name: string;
  reason: RejectReason | undefined;
  /** CloudEvents attributes (binary mode); `content-type` is separate. */
  attrs: Record<string, string>;
  contentType: string | undefined;
  body: Buffer;
}

export const INJECTIONS = [
  "'; DROP TABLE rollups; --",
  '" OR "1"="1',
  "1' UNION SELECT token_hash FROM site_tokens --",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '\\x27; SELECT SLEEP(10); --',
] as const;

let seq = 0;
const nextId = (tag: string) => `hostile-${tag}-${++seq}`;

export function baseData(site: string, nowMs: number, n: number): RawTraffic {
  return {
    kind: 'pageview',
    site,
    url: `https://${site}/hostile/good-${n}`,
    referrer: '',
    // Spread over the last three hours, never in the future.
    timestamp: new Date(nowMs - 3 * 3_600_000 + (n % 7200) * 1000).toISOString(),
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 hostile-${n}`,
    ip: `81.2.69.${(n % 250) + 1}`,
    sessionId: `hostile-session-${n}`,
  };
}

const attrsOf = (id: string): Record<string, string> => ({
  specversion: '1.0',
  id,
  source: 'test/reliability/hostile',
  type: EVENT_TYPES.raw,
});

/** The corpus of bad events, built around a valid one for `site`. */
export function createHostileCorpus(site: string, nowMs: number): HostileCase[] {
  const cases: HostileCase[] = [];
  const good = (n: number) => baseData(site, nowMs, 10_000 + n);
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const add = (name: string, reason: RejectReason | undefined, opts: Partial<Omit<HostileCase, 'name' | 'reason'>>) => {
    cases.push({
      name,
      reason,
      attrs: opts.attrs ?? attrsOf(nextId(name)),
      contentType: 'contentType' in opts ? opts.contentType : 'application/json',
      body: opts.body ?? json(good(cases.length)),
    });
  };
  const data = (name: string, reason: RejectReason | undefined, change: (d: Record<string, unknown>) => void) => {
    const d: Record<string, unknown> = { ...good(cases.length) };
    change(d);
    add(name, reason, { body: json(d) });
  };
  const attr = (name: string, reason: RejectReason | undefined, change: (a: Record<string, string>) => void) => {
    const a = attrsOf(nextId(name));
    change(a);
    add(name, reason, { attrs: a });
  };

  // --- body and content type
  add('truncated JSON', 'invalid_json', { body: Buffer.from('{"kind":"pageview","site":"') });
  add('empty body', 'invalid_json', { body: Buffer.alloc(0) });
  add('JSON null', 'invalid_data', { body: Buffer.from('null') });
  add('JSON array', 'invalid_data', { body: Buffer.from('[1,2,3]') });
  add('JSON string', 'invalid_data', { body: Buffer.from('"pageview"') });
  add('byte-order mark before JSON', 'invalid_json', { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(good(0))]) });
  add('binary garbage', 'invalid_json', { body: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b, 0xc3, 0x28]) });
  add('text/plain content type', 'invalid_content_type', { contentType: 'text/plain' });
  add('application/xml content type', 'invalid_content_type', { contentType: 'application/xml', body: Buffer.from('<a/>') });
  add('multipart content type', 'invalid_content_type', { contentType: 'multipart/form-data; boundary=x' });
  add('body over the size limit', 'payload_too_large', {
    body: json({ ...good(1), userAgent: 'x'.repeat(LIMITS.maxEventBytes + 10) }),
  });
  add('deeply nested array', 'invalid_data', { body: Buffer.from('['.repeat(5000) + ']'.repeat(5000)) });
  data('deeply nested props', 'invalid_data', (d) => {
    d.kind = 'event';
    d.name = 'nested';
    d.props = JSON.parse('{"a":'.repeat(1500) + '1' + '}'.repeat(1500)) as unknown;
  });

  // --- CloudEvents attributes
  attr('missing id', 'invalid_cloudevent', (a) => delete a.id);
  attr('missing source', 'invalid_cloudevent', (a) => delete a.source);
  attr('missing type', 'invalid_cloudevent', (a) => delete a.type);
  attr('missing specversion', 'invalid_cloudevent', (a) => delete a.specversion);
  attr('specversion 0.3', 'invalid_cloudevent', (a) => (a.specversion = '0.3'));
  attr('specversion 2.0', 'invalid_cloudevent', (a) => (a.specversion = '2.0'));
  attr('unknown type', 'unknown_type', (a) => (a.type = 'com.example.evil.v1'));
  attr('enriched type on the raw path', 'unknown_type', (a) => (a.type = EVENT_TYPES.enriched));
  attr('attribute name with a dash', 'invalid_cloudevent', (a) => (a['bad-name'] = 'x'));
  attr('attribute name too long', 'invalid_cloudevent', (a) => (a.abcdefghijklmnopqrstuvwxyz = 'x'));
  attr('id too long', 'invalid_cloudevent', (a) => (a.id = 'i'.repeat(LIMITS.maxIdLength + 1)));
  attr('id with a newline', 'invalid_cloudevent', (a) => (a.id = 'evil\nid'));
  attr('source with NUL', 'invalid_cloudevent', (a) => (a.source = 'evil\u0000source'));
  attr('time not RFC 3339', 'invalid_cloudevent', (a) => (a.time = 'yesterday'));
  attr('empty id', 'invalid_cloudevent', (a) => (a.id = ''));

  // --- data fields
  data('missing url', 'invalid_data', (d) => delete d.url);
  data('missing site', 'invalid_data', (d) => delete d.site);
  data('missing timestamp', 'invalid_data', (d) => delete d.timestamp);
  data('missing userAgent', 'invalid_data', (d) => delete d.userAgent);
  data('missing ip', 'invalid_data', (d) => delete d.ip);
  data('unknown kind', 'invalid_data', (d) => (d.kind = 'click'));
  data('extra field', 'invalid_data', (d) => (d.isAdmin = true));
  data('prototype pollution in props', 'invalid_data', (d) => {
    d.kind = 'event';
    d.name = 'proto';
    d.props = JSON.parse('{"__proto__":{"polluted":true}}') as unknown;
  });
  data('timestamp not a date', 'invalid_data', (d) => (d.timestamp = 'yesterday'));
  data('timestamp without offset', 'invalid_data', (d) => (d.timestamp = '2026-01-01T00:00:00'));
  data('timestamp Feb 30', 'invalid_data', (d) => (d.timestamp = '2026-02-30T00:00:00Z'));
  data('timestamp year +10000', 'invalid_data', (d) => (d.timestamp = '+010000-01-01T00:00:00Z'));
  data('timestamp as a number', 'invalid_data', (d) => (d.timestamp = nowMs));
  data('far-future timestamp', 'timestamp_out_of_range', (d) => (d.timestamp = '2999-01-01T00:00:00Z'));
  data('far-past timestamp', 'timestamp_out_of_range', (d) => (d.timestamp = '1970-01-01T00:00:00Z'));
  data('javascript: url', 'invalid_data', (d) => (d.url = 'javascript:alert(1)'));
  data('relative url', 'invalid_data', (d) => (d.url = '/relative/path'));
  data('ftp url', 'invalid_data', (d) => (d.url = `ftp://${site}/x`));
  data('url with a newline', 'invalid_data', (d) => (d.url = `https://${site}/a\nb`));
  data('url over the limit', 'invalid_data', (d) => (d.url = `https://${site}/${'a'.repeat(LIMITS.maxUrlLength)}`));
  data('referrer not a url', 'invalid_data', (d) => (d.referrer = 'not a url'));
  data('IPv4 out of range', 'invalid_data', (d) => (d.ip = '999.1.1.1'));
  data('IPv6 garbage', 'invalid_data', (d) => (d.ip = '::ffff:zz'));
  data('IPv6 with zone id', 'invalid_data', (d) => (d.ip = 'fe80::1%eth0'));
  data('empty ip', 'invalid_data', (d) => (d.ip = ''));
  data('ip with SQL', 'invalid_data', (d) => (d.ip = "1.2.3.4'; DROP TABLE sites; --"));
  data('empty user agent', 'invalid_data', (d) => (d.userAgent = ''));
  data('user agent over the limit', 'invalid_data', (d) => (d.userAgent = 'M'.repeat(LIMITS.maxUserAgentLength + 1)));
  data('user agent with NUL', 'invalid_data', (d) => (d.userAgent = 'Mozilla/5.0\u0000evil'));
  data('user agent with U+2028', 'invalid_data', (d) => (d.userAgent = 'Mozilla/5.0\u2028evil'));
  data('site with SQL', 'invalid_data', (d) => (d.site = "x' OR '1'='1"));
  data('site with markup', 'invalid_data', (d) => (d.site = '<script>.example'));
  data('site in upper case', 'invalid_data', (d) => (d.site = site.toUpperCase()));
  data('unregistered site', 'unknown_site', (d) => (d.site = 'evil.example'));
  data('event name too long', 'invalid_data', (d) => Object.assign(d, { kind: 'event', name: 'n'.repeat(LIMITS.maxNameLength + 1) }));
  data('empty event name', 'invalid_data', (d) => Object.assign(d, { kind: 'event', name: '' }));
  data('too many props', 'invalid_data', (d) =>
    Object.assign(d, {
      kind: 'event',
      name: 'many',
      props: Object.fromEntries(Array.from({ length: LIMITS.maxPropKeys + 1 }, (_, i) => [`k${i}`, i])),
    }),
  );
  data('prop value over the limit', 'invalid_data', (d) =>
    Object.assign(d, { kind: 'event', name: 'big', props: { v: 'v'.repeat(LIMITS.maxPropValueLength + 1) } }),
  );
  data('sessionId with SQL', 'invalid_data', (d) => (d.sessionId = "s'; DELETE FROM sessions; --"));
  data('negative screen width', 'invalid_data', (d) => (d.screenWidth = -1));
  data('screen width as a string', 'invalid_data', (d) => (d.screenWidth = '1024'));
  data('language with SQL', 'invalid_data', (d) => (d.language = "en'; DROP TABLE sites; --"));
  data('engagement over a day', 'invalid_data', (d) => (d.engagementMs = 10 ** 12));
  return cases;
}

/** Well-formed events full of hostile text: counted, and stored as data. */
export function createValidHostileEvents(site: string, nowMs: number): RawTraffic[] {
  const b = (n: number) => baseData(site, nowMs, 20_000 + n);
  const out: RawTraffic[] = [];
  INJECTIONS.forEach((inj, i) => {
    out.push({ ...b(out.length), kind: 'event', name: inj.slice(0, LIMITS.maxNameLength), props: { q: inj } });
    out.push({ ...b(out.length), url: `https://${site}/search/${encodeURIComponent(inj)}?utm_campaign=${encodeURIComponent(inj)}` });
    out.push({ ...b(out.length), userAgent: `Mozilla/5.0 ${inj} hostile-ua-${i}` });
    out.push({ ...b(out.length), referrer: `https://ref.example/${encodeURIComponent(inj)}` });
  });
  out.push({ ...b(out.length), url: `https://${site}/caf%C3%A9/%F0%9F%98%80/%E2%80%AEtxt.exe` });
  out.push({ ...b(out.length), url: `https://${site}/emoji/😀/rtl/\u202e/zwj/a\u200db` });
  out.push({ ...b(out.length), ip: '2001:db8::1' });
  out.push({ ...b(out.length), ip: '::ffff:81.2.69.160' });
  out.push({ ...b(out.length), kind: 'event', name: 'ünïcödé 名前 😀', props: { ключ: 'значение' } });
  return out;
}
