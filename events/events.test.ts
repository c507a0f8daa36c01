/**
 * The event contract: schemas accept valid events and reject each kind of bad one with a typed,
 * useful error; the Kafka and HTTP bindings round-trip and interoperate with the CloudEvents SDK.
 */
import { CloudEvent as SdkEvent, HTTP, Kafka, type KafkaMessage } from 'cloudevents';
import {
  createEnrichedEvent,
  createRawEvent,
  createRejectedEvent,
  decodeEnriched,
  decodeRaw,
  decodeRejected,
  EVENT_TYPES,
  EventFormatError,
  fromHttp,
  fromKafkaMessage,
  LIMITS,
  originalFromKafka,
  SOURCES,
  toHttpBinary,
  toHttpStructured,
  toKafkaMessage,
  type EnrichedTraffic,
  type KafkaRecord,
  type RawTraffic,
  type RejectReason,
} from '.';

const raw: RawTraffic = {
  kind: 'pageview',
  site: 'shop.example',
  url: 'https://shop.example/pricing?utm_source=news',
  referrer: 'https://www.google.com/',
  timestamp: '2026-11-28T10:00:00.000Z',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  ip: '203.0.113.7',
  screenWidth: 1440,
  language: 'en-GB',
  sessionId: 's-1',
  engagementMs: 1200,
};

const enriched: EnrichedTraffic = {
  site: 'shop.example',
  kind: 'event',
  name: 'signup',
  props: { plan: 'pro', seats: 3, trial: true },
  timestamp: '2026-11-28T10:00:00.000Z',
  revenue: null,
  interactive: true,
  visitorId: '0123456789abcdef',
  prevVisitorId: 'fedcba9876543210',
  hostname: 'shop.example',
  path: '/pricing',
  referrer: 'google.com/',
  source: 'Google',
  channel: 'search',
  utmSource: 'news',
  utmMedium: '',
  utmCampaign: '',
  utmContent: '',
  utmTerm: '',
  country: 'DE',
  browser: 'Chrome',
  os: 'Linux',
  device: 'desktop',
  bot: false,
  screenWidth: 1440,
  language: 'en-GB',
  engagementMs: 1200,
  scrollDepth: null,
};

function kafkaRecordOf(data: unknown, headers: Record<string, string> = {}): KafkaRecord {
  const event = createRawEvent({ id: 'e-1', data: raw });
  const m = toKafkaMessage(event);
  return { key: m.key, value: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)), headers: { ...m.headers, ...headers } };
}

function rejectOf(record: KafkaRecord): { reason: RejectReason; problems: readonly { path: string; message: string }[] } {
  try {
    decodeRaw(fromKafkaMessage(record));
  } catch (e) {
    if (e instanceof EventFormatError) return { reason: e.reason, problems: e.problems };
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('raw schema', () => {
  it('accepts a valid pageview and a valid custom event', () => {
    expect(decodeRaw(fromKafkaMessage(kafkaRecordOf(raw))).data).toEqual(raw);
    const custom = { ...raw, kind: 'event', name: 'add_to_cart', props: { sku: 'A-1', qty: 2 } };
    expect(decodeRaw(fromKafkaMessage(kafkaRecordOf(custom))).data).toEqual(custom);
  });

  it('accepts IPv6 addresses and an empty referrer', () => {
    const v6 = { ...raw, ip: '2001:db8::1', referrer: '' };
    expect(decodeRaw(fromKafkaMessage(kafkaRecordOf(v6))).data.ip).toBe('2001:db8::1');
  });

  const { site: _site, ...withoutSite } = raw;
  const cases: [string, unknown, RejectReason, string][] = [
    ['missing field', withoutSite, 'invalid_data', 'data.site'],
    ['wrong type', { ...raw, screenWidth: 'wide' }, 'invalid_data', 'data.screenWidth'],
    ['bad timestamp', { ...raw, timestamp: '28/11/2026 10:00' }, 'invalid_data', 'data.timestamp'],
    ['oversized string', { ...raw, userAgent: 'x'.repeat(LIMITS.maxUserAgentLength + 1) }, 'invalid_data', 'data.userAgent'],
    ['empty user agent', { ...raw, userAgent: '' }, 'invalid_data', 'data.userAgent'],
    ['invalid IP', { ...raw, ip: '300.1.2.3' }, 'invalid_data', 'data.ip'],
    ['non-http URL', { ...raw, url: 'javascript:alert(1)' }, 'invalid_data', 'data.url'],
    ['control characters', { ...raw, url: 'https://shop.example/a\u0000b' }, 'invalid_data', 'data.url'],
    ['unknown kind', { ...raw, kind: 'click' }, 'invalid_data', 'data.kind'],
    ['custom event without name', { ...raw, kind: 'event' }, 'invalid_data', 'data.name'],
    ['unknown field', { ...raw, userAgnet: 'typo' }, 'invalid_data', 'data'],
    ['upper-case site', { ...raw, site: 'Shop.Example' }, 'invalid_data', 'data.site'],
    ['array instead of object', [raw], 'invalid_data', 'data'],
  ];
  it.each(cases)('rejects %s', (_name, data, reason, path) => {
    const r = rejectOf(kafkaRecordOf(data));
    expect(r.reason).toBe(reason);
    expect(r.problems.some((p) => p.path.startsWith(path))).toBe(true);
    expect(r.problems.every((p) => p.message.length > 5)).toBe(true);
  });

  it('lists every problem, not only the first', () => {
    const r = rejectOf(kafkaRecordOf({ ...raw, ip: 'nope', url: 'nope', timestamp: 'nope' }));
    expect(r.problems.map((p) => p.path).sort()).toEqual(['data.ip', 'data.timestamp', 'data.url']);
  });

  it('rejects a non-JSON body', () => {
    expect(rejectOf(kafkaRecordOf('{"site": "shop.example", '))).toMatchObject({ reason: 'invalid_json' });
  });

  it('rejects a wrong content-type', () => {
    expect(rejectOf(kafkaRecordOf(raw, { 'content-type': 'text/plain' })).reason).toBe('invalid_content_type');
  });

  it('rejects an unknown type and a wrong specversion', () => {
    expect(rejectOf(kafkaRecordOf(raw, { ce_type: 'com.example.other' })).reason).toBe('unknown_type');
    const r = rejectOf(kafkaRecordOf(raw, { ce_specversion: '0.3' }));
    expect(r).toMatchObject({ reason: 'invalid_cloudevent' });
    expect(r.problems[0]!.path).toBe('ce_specversion');
  });

  it('rejects missing required attributes, naming each', () => {
    const rec = kafkaRecordOf(raw);
    const headers = { ...(rec.headers as Record<string, string>) };
    delete headers.ce_id;
    delete headers.ce_source;
    const r = rejectOf({ ...rec, headers });
    expect(r.reason).toBe('invalid_cloudevent');
    expect(r.problems.map((p) => p.path).sort()).toEqual(['ce_id', 'ce_source']);
  });

  it('rejects an oversized record before parsing it', () => {
    const r = rejectOf(kafkaRecordOf({ ...raw, padding: 'x'.repeat(LIMITS.maxEventBytes) }));
    expect(r.reason).toBe('payload_too_large');
  });

  it('never throws anything but EventFormatError on garbage', () => {
    const garbage: KafkaRecord[] = [
      { key: null, value: null },
      { key: null, value: Buffer.from([0xff, 0xfe, 0x00]), headers: { 'content-type': 'application/json' } },
      { key: Buffer.from([0xc3]), value: Buffer.from('null'), headers: { ce_id: ['a', 'b'] } },
      { key: null, value: Buffer.from('{}'), headers: { 'content-type': 'application/cloudevents+json' } },
      { key: null, value: Buffer.from('{"specversion":{"x":1}}'), headers: { 'content-type': 'application/cloudevents+json' } },
      { key: null, value: Buffer.from('"str"'), headers: { 'content-type': 'application/cloudevents+json' } },
    ];
    for (const g of garbage) expect(() => decodeRaw(fromKafkaMessage(g))).toThrow(EventFormatError);
  });
});

describe('Kafka binary binding', () => {
  it('round-trips attributes, extensions, key and data', () => {
    const event = createRawEvent({ id: 'e-42', data: raw });
    event.attributes.traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const m = toKafkaMessage(event);
    expect(m.headers['ce_id']).toBe('e-42');
    expect(m.headers['content-type']).toBe('application/json');
    expect(m.key).toBe(event.attributes.partitionkey);
    const back = decodeRaw(fromKafkaMessage(m));
    expect(back.attributes).toEqual(event.attributes);
    expect(back.data).toEqual(raw);
  });

  it('interoperates with the CloudEvents SDK in both directions', () => {
    const ours = createRawEvent({ id: 'e-7', data: raw });
    const message: KafkaMessage<Buffer> = { ...toKafkaMessage(ours), key: ours.attributes.partitionkey!, body: undefined };
    const sdk = Kafka.toEvent(message) as SdkEvent<unknown>;
    expect(sdk.id).toBe('e-7');
    expect(sdk.type).toBe(EVENT_TYPES.raw);
    expect(sdk.data).toEqual(raw);

    const fromSdk = Kafka.binary(
      new SdkEvent({
        id: 'sdk-1',
        source: '/sdk',
        type: EVENT_TYPES.raw,
        datacontenttype: 'application/json',
        partitionkey: 'k1',
        data: raw,
      }),
    );
    // The SDK leaves serialising the value to the transport (kafkajs needs a string or Buffer).
    const value = typeof fromSdk.value === 'string' ? fromSdk.value : JSON.stringify(fromSdk.value);
    const decoded = decodeRaw(fromKafkaMessage({ key: fromSdk.key as string, value, headers: fromSdk.headers as Record<string, string> }));
    expect(decoded.attributes).toMatchObject({ id: 'sdk-1', source: '/sdk', partitionkey: 'k1' });
    expect(decoded.data).toEqual(raw);
  });

  it('reads ce_ headers in any case, ignores other headers, and rejects a bare ce_ header', () => {
    const m = toKafkaMessage(createRawEvent({ id: 'e-c', data: raw }));
    const { ce_id: id, ce_source: source, ...rest } = m.headers;
    const headers = {
      ...rest,
      CE_ID: id!,
      Ce_Source: source!,
      cex_ignored: 'x',
      traceparent: 'y',
      'content-type': 'application/json; charset=utf-8',
    };
    const back = fromKafkaMessage({ ...m, headers });
    expect(back.attributes).toMatchObject({ id: 'e-c', source: SOURCES.generate, datacontenttype: 'application/json; charset=utf-8' });
    expect(Object.keys(back.attributes)).not.toContain('ignored');
    expect(Object.keys(back.attributes)).not.toContain('traceparent');
    expect(() => fromKafkaMessage({ ...m, headers: { ...m.headers, ce_: 'empty name' } })).toThrow(EventFormatError);
    expect(() => fromKafkaMessage({ ...m, headers: { ...m.headers, 'content-type': 'text/plain' } })).toThrow(EventFormatError);
  });

  it('reads structured mode too', () => {
    const e = createRawEvent({ id: 'e-s', data: raw });
    const value = Buffer.from(JSON.stringify({ ...e.attributes, data: raw }));
    const back = decodeRaw(fromKafkaMessage({ key: null, value, headers: { 'content-type': 'application/cloudevents+json' } }));
    expect(back.data).toEqual(raw);
    expect(back.attributes.id).toBe('e-s');
  });
});

describe('HTTP bindings', () => {
  it('binary mode round-trips and the SDK reads it', () => {
    const e = createEnrichedEvent({ source: '/wtm/generate', id: 'raw-1' }, enriched);
    const { headers, body } = toHttpBinary(e);
    expect(decodeEnriched(fromHttp(headers, body)).data).toEqual(enriched);
    const sdk = HTTP.toEvent({ headers, body }) as SdkEvent<unknown>;
    expect(sdk.id).toBe(e.attributes.id);
    expect(sdk.data).toEqual(enriched);
  });

  it('structured mode round-trips and the SDK writes what we read', () => {
    const e = createEnrichedEvent({ source: '/wtm/generate', id: 'raw-1' }, enriched);
    const s = toHttpStructured(e);
    expect(decodeEnriched(fromHttp(s.headers, s.body)).attributes).toEqual(e.attributes);
    const sdkMsg = HTTP.structured(new SdkEvent({ ...e.attributes, data: enriched }));
    expect(decodeEnriched(fromHttp(sdkMsg.headers as Record<string, string>, sdkMsg.body as string)).data).toEqual(enriched);
  });

  it('rejects binary mode without attributes, with every problem', () => {
    try {
      fromHttp({ 'content-type': 'application/json' }, '{}');
      throw new Error('expected a rejection');
    } catch (e) {
      expect(e).toBeInstanceOf(EventFormatError);
      expect((e as EventFormatError).problems.map((p) => p.path).sort()).toEqual(['ce-id', 'ce-source', 'ce-specversion', 'ce-type']);
    }
  });
});

describe('size bounds', () => {
  it('rejects a record over the transport limit before reading it', () => {
    const r = rejectOf({
      key: null,
      value: Buffer.alloc(LIMITS.maxRecordBytes + 1, 0x20),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.reason).toBe('payload_too_large');
  });

  it('decodes the rejected event of an oversized raw record', () => {
    const big = kafkaRecordOf({ ...raw, padding: 'x'.repeat(LIMITS.maxEventBytes * 2) });
    const r = rejectOf(big);
    const rejected = createRejectedEvent({
      stage: 'enrich',
      reason: r.reason,
      problems: r.problems,
      original: originalFromKafka(big),
      now: new Date(),
    });
    const back = decodeRejected(fromKafkaMessage(toKafkaMessage(rejected)));
    expect(back.data.original.body).toBe((big.value as Buffer).toString('utf8'));
    expect(back.data.original.truncated).toBeUndefined();
  });

  it('keeps a prefix, the size and the SHA-256 of a huge body, so the rejected event still fits a record', () => {
    const huge = Buffer.alloc(LIMITS.maxRecordBytes, 0x61);
    const original = originalFromKafka({ key: null, value: huge });
    expect(original).toMatchObject({ truncated: true, bodyBytes: huge.length, bodyEncoding: 'utf8' });
    expect(original.body.length).toBe(LIMITS.maxOriginalBodyBytes);
    expect(original.bodySha256).toMatch(/^[0-9a-f]{64}$/);
    const rejected = createRejectedEvent({ stage: 'enrich', reason: 'payload_too_large', problems: [], original, now: new Date() });
    expect(toKafkaMessage(rejected).value.length).toBeLessThan(LIMITS.maxRecordBytes);
  });
});

describe('derived events', () => {
  it('derives the enriched id from the raw (source, id) deterministically', () => {
    const a = createEnrichedEvent({ source: '/wtm/generate', id: 'raw-1' }, enriched);
    const b = createEnrichedEvent({ source: '/wtm/generate', id: 'raw-1' }, enriched);
    const c = createEnrichedEvent({ source: '/wtm/tracker', id: 'raw-1' }, enriched);
    expect(a.attributes.id).toBe(b.attributes.id);
    expect(a.attributes.id).not.toBe(c.attributes.id);
    // one visitor-day's events share a partition (the enriched record key)
    expect(a.attributes.partitionkey).toBe('shop.example/0123456789abcdef');
  });

  it('keeps the original record verbatim in a rejected event', () => {
    const rec: KafkaRecord = {
      key: 'k',
      value: Buffer.from('{"broken": '),
      headers: { ce_id: 'x', ce_source: '/s', 'content-type': 'application/json' },
    };
    const rejected = createRejectedEvent({
      stage: 'enrich',
      reason: 'invalid_json',
      problems: [{ path: 'data', message: 'not valid JSON' }],
      original: originalFromKafka(rec),
      now: new Date('2026-11-28T00:00:00Z'),
    });
    const back = decodeRejected(fromKafkaMessage(toKafkaMessage(rejected)));
    expect(back.data.original).toEqual({
      transport: 'kafka',
      headers: { ce_id: 'x', ce_source: '/s', 'content-type': 'application/json' },
      key: 'k',
      body: '{"broken": ',
      bodyEncoding: 'utf8',
    });
    expect(back.data.reason).toBe('invalid_json');
    const binary = originalFromKafka({ key: null, value: Buffer.from([0xff, 0x00, 0x01]) });
    expect(binary.bodyEncoding).toBe('base64');
    expect(Buffer.from(binary.body, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x01]));
  });
});
