/**
 * Custom property limits (events/limits.ts: 30 pairs, keys up to 300, values up to 2,000 characters):
 * the existing raw schema rejects an event over any of them with reason `invalid_data` and a problem at
 * `data.props`, and accepts one exactly at the limits.
 */
import { createRawEvent, decodeRaw, EventFormatError, fromKafkaMessage, LIMITS, toKafkaMessage, type RawTraffic } from '../../events';

const base: RawTraffic = {
  kind: 'event',
  name: 'signup',
  site: 'shop.example',
  url: 'https://shop.example/pricing',
  timestamp: '2026-11-28T10:00:00.000Z',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0.0.0 Safari/537.36',
  ip: '203.0.113.7',
};

function decode(props: Record<string, string | number | boolean>) {
  const m = toKafkaMessage(createRawEvent({ id: 'e-1', data: base }));
  return decodeRaw(fromKafkaMessage({ key: m.key, value: Buffer.from(JSON.stringify({ ...base, props })), headers: m.headers }));
}

function rejection(props: Record<string, string | number | boolean>): EventFormatError {
  try {
    decode(props);
  } catch (e) {
    if (e instanceof EventFormatError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('custom property limits', () => {
  it('accepts exactly 30 pairs, a 300-character key and a 2,000-character value', () => {
    expect(LIMITS).toMatchObject({ maxPropKeys: 30, maxPropKeyLength: 300, maxPropValueLength: 2000 });
    const thirty = decode(many(30)).data;
    expect(thirty.kind === 'event' ? Object.keys(thirty.props ?? {}) : []).toHaveLength(30);
    const edge = { ['k'.repeat(300)]: 'v'.repeat(2000) };
    const d = decode(edge).data;
    expect(d.kind === 'event' ? d.props : undefined).toEqual(edge);
  });

  it.each([
    ['31 pairs', many(31), /at most 30 props/],
    ['a 301-character key', { ['k'.repeat(301)]: 'v' }, /Invalid key in record/],
    ['a 2,001-character value', { plan: 'v'.repeat(2001) }, /at most 2000 characters/],
    ['an empty key', { '': 'v' }, /props/],
    ['a control character in a value', { plan: 'a\u0000b' }, /control characters/],
  ])('rejects %s with reason invalid_data', (_label, props, message) => {
    const e = rejection(props);
    expect(e.reason).toBe('invalid_data');
    expect(e.problems.some((p) => p.path.includes('props'))).toBe(true);
    expect(e.message).toMatch(message);
  });
});
