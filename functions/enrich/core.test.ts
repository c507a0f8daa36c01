import {
  createRawEvent,
  decodeEnriched,
  decodeRejected,
  fromKafkaMessage,
  toHttpBinary,
  toHttpStructured,
  toKafkaMessage,
  type CloudEvent,
  type RawTraffic,
} from '../../events';
import { inboundFromKafka, type Inbound, type Publisher } from '../lib/bus';
import { TransientError } from '../lib/errors';
import type { GeoIp } from '../lib/geoip';
import { silentLogger } from '../lib/logger';
import type { SiteLookup } from '../sites/types';
import { dimensionsOf } from './classify';
import { createEnricher, createEnrichCore, type Outcome } from './core';
import { handleEnrichRequest, type HttpResponseLike } from './function';
import { createVisitorHasher, dailySalt, visitorIdOf } from './identity';

const NOW = new Date('2026-03-10T12:00:00Z');
const SECRET = 'test-secret-0123456789';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
// An in-memory SiteLookup (an interface, not a stand-in for the registry's SQL).
const sites: SiteLookup = {
  getSite: async (h) => (h === 'example.com' ? { id: 1, hostname: h, timezone: 'Europe/Berlin', isPublic: true } : undefined),
};
const geo: GeoIp = { country: (ip) => (ip === '8.8.8.8' ? 'US' : ip.startsWith('2a00:') ? 'DE' : 'ZZ') };

function raw(over: Partial<RawTraffic> = {}, id = 'e1'): CloudEvent<RawTraffic> {
  const data = {
    kind: 'pageview',
    site: 'example.com',
    url: 'https://www.example.com/pricing/?utm_source=google&utm_medium=cpc',
    referrer: 'https://www.google.com/',
    timestamp: '2026-03-10T11:00:00Z',
    userAgent: CHROME,
    ip: '8.8.8.8',
    ...over,
  } as RawTraffic;
  return createRawEvent({ id, data });
}
const inbound = (e: CloudEvent<unknown>, where = 'test'): Inbound => inboundFromKafka(toKafkaMessage(e), where);
const badRecord = (value: string, headers: Record<string, string> = {}): Inbound =>
  inboundFromKafka({ key: null, value: Buffer.from(value), headers }, 'bad');

const enricherWith = (publisher: Publisher, topics = { enriched: 'enriched', rejected: 'rejected' }) =>
  createEnricher({ sites, geo, saltSecret: SECRET, now: () => NOW, publisher, topics, logger: silentLogger });
const core = () => createEnrichCore({ sites, geo, saltSecret: SECRET, now: () => NOW });

function enriched(o: Outcome) {
  if (o.kind !== 'enriched') throw new Error(`expected enriched, got ${o.kind} ${o.reason}`);
  return o.event;
}
function rejected(o: Outcome) {
  if (o.kind !== 'rejected') throw new Error('expected rejected');
  return o;
}

describe('enrich core steps', () => {
  it('enriches a pageview with exactly the dimensionsOf classification, no IP or user agent', async () => {
    const e = raw();
    const out = enriched(await core()(inbound(e)));
    const { bot: _bot, ...dims } = dimensionsOf(e.data, geo);
    expect(out.data).toMatchObject(dims);
    expect(out.data.bot).toBe(false);
    expect(out.data.visitorId).toMatch(/^[0-9a-f]{16}$/);
    const text = JSON.stringify(toKafkaMessage(out).value.toString()) + JSON.stringify(out.attributes);
    expect(text).not.toContain('8.8.8.8');
    expect(text).not.toContain('Chrome/131');
    // the enriched data passes the schema (round trip through the contract)
    expect(decodeEnriched(fromKafkaMessage(toKafkaMessage(out))).data).toEqual(out.data);
  });

  it.each([
    ['future', '2026-03-10T12:11:00Z', 'timestamp_out_of_range'],
    ['too old', '2025-01-01T00:00:00Z', 'timestamp_out_of_range'],
  ])('rejects a timestamp %s', async (_name, timestamp, reason) => {
    expect(rejected(await core()(inbound(raw({ timestamp })))).reason).toBe(reason);
  });

  it('accepts small clock skew', async () => {
    enriched(await core()(inbound(raw({ timestamp: '2026-03-10T12:09:00Z' }))));
  });

  it('rejects unknown sites', async () => {
    const o = rejected(await core()(inbound(raw({ site: 'other.org', url: 'https://other.org/' }))));
    expect(o.reason).toBe('unknown_site');
  });

  it.each([
    [
      'not json',
      badRecord('{nope', { ce_id: '1', ce_source: 's', ce_type: 'io.webtrafficmonitor.traffic.raw.v1', ce_specversion: '1.0' }),
      'invalid_json',
    ],
    ['no envelope', badRecord('{}'), 'invalid_cloudevent'],
    ['wrong type', badRecord('{}', { ce_id: '1', ce_source: 's', ce_type: 'x.y', ce_specversion: '1.0' }), 'unknown_type'],
    ['bad ip', inbound(raw({ ip: '999.1.1.1' })), 'invalid_data'],
  ])('rejects %s', async (_name, msg, reason) => {
    const o = rejected(await core()(msg));
    expect(o.reason).toBe(reason);
    expect(o.event.data.original).toEqual(msg.original());
  });

  it('keeps bots as enriched events with bot: true and blank visitor dimensions', async () => {
    const out = enriched(
      await core()(inbound(raw({ userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }))),
    );
    expect(out.data).toMatchObject({ bot: true, path: '/pricing', country: 'US', browser: '', source: '', utmSource: '' });
    // bots keep their ids (aggregate stores them as facts), but never make visits
    expect(out.data.visitorId).toMatch(/^[0-9a-f]{16}$/);
    expect(out.data.prevVisitorId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('handles IPv6 addresses', async () => {
    const out = enriched(await core()(inbound(raw({ ip: '2a00:1450:4001:82b::200e' }))));
    expect(out.data.country).toBe('DE');
  });

  it('is stateless: no session, a sender sessionId is not passed on, the same input gives the same ids', async () => {
    const out = enriched(await core()(inbound(raw({ sessionId: 'abc' }))));
    expect(Object.keys(out.data)).not.toContain('sessionId');
    const again = enriched(await core()(inbound(raw({ sessionId: 'other' }))));
    expect([again.data.visitorId, again.data.prevVisitorId]).toEqual([out.data.visitorId, out.data.prevVisitorId]);
    expect(out.data.prevVisitorId).not.toBe(out.data.visitorId);
  });
});

describe('visitor identity', () => {
  const hash = createVisitorHasher(SECRET);
  const base = { site: 'example.com', timeZone: 'Europe/Berlin', ip: '8.8.8.8', userAgent: CHROME };
  it('is stable within a site-local day and changes across days', () => {
    const morning = hash({ ...base, timeMs: Date.parse('2026-03-09T23:30:00Z') }); // 00:30 in Berlin on the 10th
    const evening = hash({ ...base, timeMs: Date.parse('2026-03-10T22:30:00Z') }); // 23:30 in Berlin on the 10th
    const nextDay = hash({ ...base, timeMs: Date.parse('2026-03-10T23:30:00Z') }); // 00:30 on the 11th
    expect(evening).toEqual(morning);
    expect(nextDay.visitorId).not.toBe(morning.visitorId);
    // the next day's previous-day id is this day's id: aggregate continues a visit across midnight with it
    expect(nextDay.prevVisitorId).toBe(morning.visitorId);
    expect(morning.prevVisitorId).not.toBe(morning.visitorId);
  });
  it('depends on secret, site, ip and user agent', () => {
    const t = { ...base, timeMs: NOW.getTime() };
    const ids = new Set(
      [
        hash(t),
        createVisitorHasher('another-secret-456789')(t),
        hash({ ...t, site: 'example.org' }),
        hash({ ...t, ip: '2a00::1' }),
        hash({ ...t, userAgent: 'x' }),
      ].map((h) => h.visitorId),
    );
    expect(ids.size).toBe(5);
  });
  it.each([
    ['Europe/Berlin', '2026-03-09T23:30:00Z', '2026-03-10', '2026-03-09'],
    ['America/New_York', '2026-03-09T03:30:00Z', '2026-03-08', '2026-03-07'], // 23:30 on the 8th, the DST night
    ['Asia/Kolkata', '2026-12-31T18:40:00Z', '2027-01-01', '2026-12-31'],
    ['UTC', '2028-03-01T00:00:00Z', '2028-03-01', '2028-02-29'],
  ])('salts a %s event at %s with the dates %s and %s', (timeZone, at, date, prevDate) => {
    const ids = hash({ ...base, timeZone, timeMs: Date.parse(at) });
    const msg = [base.site, base.ip, base.userAgent] as const;
    expect(ids).toEqual({
      visitorId: visitorIdOf(dailySalt(SECRET, date), ...msg),
      prevVisitorId: visitorIdOf(dailySalt(SECRET, prevDate), ...msg),
    });
  });
  it('uses the salt of the previous site-local day for prevVisitorId', () => {
    const day10 = hash({ ...base, timeMs: Date.parse('2026-03-10T12:00:00Z') });
    const day9 = hash({ ...base, timeMs: Date.parse('2026-03-09T12:00:00Z') });
    expect(day10.prevVisitorId).toBe(day9.visitorId);
  });
});

describe('createEnricher over a batch', () => {
  it('publishes enriched and rejected events, counts every outcome, keeps originals', async () => {
    const seen: Record<string, CloudEvent<unknown>[]> = { enriched: [], rejected: [] };
    const publisher: Publisher = {
      publish: async (topic, events) => void seen[topic]!.push(...events),
      close: async () => undefined,
    };
    const enricher = enricherWith(publisher);
    const batch = [
      inbound(raw({}, 'a')),
      inbound(raw({ userAgent: 'curl/8.5.0' }, 'b')),
      badRecord('garbage'),
      inbound(raw({ site: 'nope.org', url: 'https://nope.org/' }, 'c')),
      inbound(raw({ kind: 'event', name: 'signup', props: { plan: 'pro' } } as Partial<RawTraffic>, 'd')),
    ];
    await enricher.handleBatch(batch);
    expect(seen.enriched!.length).toBe(3);
    expect(seen.rejected!.length).toBe(2);
    expect(enricher.metrics()).toMatchObject({
      enriched: 3,
      bots: 1,
      rejected: { invalid_cloudevent: 1, unknown_site: 1, invalid_json: 0 },
    });
    const rej = seen.rejected!.map((e) => decodeRejected(fromKafkaMessage(toKafkaMessage(e))).data);
    expect(rej[0]!.original.body).toBe('garbage');
    expect(rej[1]!.reason).toBe('unknown_site');
    const all = JSON.stringify(seen.enriched);
    expect(all).not.toContain('8.8.8.8');
    expect(all).not.toContain('Chrome/131');
  });

  it('throws when publishing fails, and counts nothing', async () => {
    const publisher: Publisher = {
      publish: async () => {
        throw new TransientError('kafka down');
      },
      close: async () => undefined,
    };
    const enricher = enricherWith(publisher);
    await expect(enricher.handleBatch([inbound(raw())])).rejects.toThrow('kafka down');
    expect(enricher.metrics().enriched).toBe(0);
  });
});

describe('HTTP adapter', () => {
  function response() {
    const r = { code: 0, body: undefined as unknown };
    const res: HttpResponseLike = {
      status(code) {
        r.code = code;
        return this;
      },
      json(body) {
        r.body = body;
        return this;
      },
    };
    return { r, res };
  }
  const published: string[] = [];
  const okPublisher: Publisher = { publish: async (t, ev) => void published.push(...ev.map(() => t)), close: async () => undefined };
  const make = (publisher: Publisher) => enricherWith(publisher);

  it.each([
    ['binary', toHttpBinary(raw())],
    ['structured', toHttpStructured(raw())],
  ])('accepts %s mode', async (_mode, { headers, body }) => {
    const { r, res } = response();
    await handleEnrichRequest(make(okPublisher), silentLogger, { method: 'POST', path: '/', headers, rawBody: Buffer.from(body) }, res);
    expect(r.code).toBe(202);
    expect(r.body).toMatchObject({ status: 'enriched' });
  });

  it('answers 200 with the reason after writing a bad event to the rejected topic', async () => {
    published.length = 0;
    const { r, res } = response();
    await handleEnrichRequest(
      make(okPublisher),
      silentLogger,
      { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, rawBody: Buffer.from('{}') },
      res,
    );
    expect(r.code).toBe(200);
    expect(r.body).toMatchObject({ status: 'rejected', reason: 'invalid_cloudevent' });
    expect(published).toEqual(['rejected']);
  });

  it('answers 503 when publishing fails', async () => {
    const failing: Publisher = {
      publish: async (_t, ev) => {
        if (ev.length > 0) throw new TransientError('down');
      },
      close: async () => undefined,
    };
    const { r, res } = response();
    const { headers, body } = toHttpBinary(raw());
    await handleEnrichRequest(make(failing), silentLogger, { method: 'POST', path: '/', headers, rawBody: Buffer.from(body) }, res);
    expect(r.code).toBe(503);
  });
});
