import { createRequire } from 'node:module';
import {
  encodeRecordBytes,
  patchKafkajsRecordEncoder,
  patchKafkajsRequestQueue,
  pendingCheckDelay,
  type RecordInput,
} from './kafkajs-patch';

describe('kafkajs RequestQueue fix (TimeoutNegativeWarning, 1 ms polling)', () => {
  it.each([
    ['nothing pending, never throttled', -1, 0, undefined],
    ['nothing pending, throttle over', 900, 0, undefined],
    ['pending, not throttled: kafkajs interval', -1, 2, 10],
    ['throttled: when the throttle ends', 1500, 0, 500],
    ['throttled with pending requests', 1500, 3, 500],
  ])('%s', (_name, throttledUntil, pending, want) => {
    expect(pendingCheckDelay(throttledUntil, pending, 1000)).toBe(want);
  });

  it('the patched kafkajs never schedules a timer from a past time', () => {
    expect(patchKafkajsRequestQueue()).toBe(true);
    const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as {
      prototype: { scheduleCheckPendingRequests(this: unknown): void };
    };
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      const queue = { throttledUntil: -1, pending: [] as unknown[], throttleCheckTimeoutId: null, checkPendingRequests: jest.fn() };
      RequestQueue.prototype.scheduleCheckPendingRequests.call(queue);
      expect(spy).not.toHaveBeenCalled();
      queue.pending.push({});
      RequestQueue.prototype.scheduleCheckPendingRequests.call(queue);
      expect(spy.mock.calls.map((c) => c[1])).toEqual([10]);
      clearTimeout(queue.throttleCheckTimeoutId ?? undefined);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('kafkajs record encoder (one buffer per record)', () => {
  const load = createRequire(__filename);
  // kafkajs's own encoder, loaded before the patch replaces the module's export.
  const original = load('kafkajs/src/protocol/recordBatch/record/v0') as (r: RecordInput) => { buffer: Buffer };
  const unicode = 'ü€𝄞';
  const records: [string, RecordInput][] = [
    [
      'a CloudEvent in the binary binding',
      {
        offsetDelta: 7,
        timestampDelta: 0,
        key: 'a1b2c3d4e5f60718',
        value: Buffer.from('{"kind":"pageview"}'),
        headers: {
          'content-type': 'application/json',
          ce_specversion: '1.0',
          ce_id: 'e-1',
          ce_source: '/wtm/tracker',
          ce_type: 'io.x.v1',
          ce_time: '2026-12-02T10:00:00.000Z',
        },
      },
    ],
    ['no key, no value, no headers', { key: null, value: null }],
    ['undefined key and value, defaults', {}],
    ['empty strings and buffers', { key: '', value: Buffer.alloc(0), headers: { '': '' } }],
    ['multi-byte text everywhere', { key: unicode, value: unicode, headers: { [unicode]: unicode, b: Buffer.from(unicode) } }],
    ['repeated header values', { value: 'v', headers: { h: ['1', Buffer.from('2'), '3'] } }],
    ['large deltas (multi-byte varints)', { offsetDelta: 300_000, timestampDelta: 1_000_000_000, value: 'x' }],
    ['negative timestamp delta', { timestampDelta: -5, value: 'x' }],
    ['a value past 128 and 16,384 bytes', { key: 'k'.repeat(200), value: Buffer.alloc(20_000, 7), headers: { h: 'x'.repeat(130) } }],
  ];

  it.each(records)('writes the bytes kafkajs writes: %s', (_name, record) => {
    expect(encodeRecordBytes(record)?.toString('hex')).toBe(original(record).buffer.toString('hex'));
  });

  it('leaves to kafkajs what it does not take (a delta past 2^30, a number value)', () => {
    expect(encodeRecordBytes({ timestampDelta: 2 ** 31, value: 'x' })).toBeUndefined();
    expect(encodeRecordBytes({ value: 5 as unknown as string })).toBeUndefined();
  });

  it('once installed, produce requests encode with it, to the same bytes, writeUVarInt included', async () => {
    const Encoder = load('kafkajs/src/protocol/encoder') as new () => { writeUVarInt(v: number): { buffer: Buffer } };
    const varints = [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, -1, -(2 ** 31)];
    const before = varints.map((v) => new Encoder().writeUVarInt(v).buffer.toString('hex'));
    const requestOf = async () => {
      const produce = load('kafkajs/src/protocol/requests/produce/v3/request') as (args: unknown) => {
        encode(): Promise<{ buffer: Buffer }>;
      };
      const topicData = [
        {
          topic: 't',
          partitions: [{ partition: 0, firstSequence: 0, messages: records.map(([, r]) => ({ ...r, timestamp: 1_700_000_000_000 })) }],
        },
      ];
      return (await produce({ acks: -1, timeout: 30_000, topicData }).encode()).buffer.toString('hex');
    };
    const stock = await requestOf();
    jest.resetModules();
    expect(patchKafkajsRecordEncoder()).toBe(true);
    expect(patchKafkajsRecordEncoder()).toBe(true); // idempotent
    const patched = load('kafkajs/src/protocol/recordBatch/record/v0') as { patched?: boolean };
    expect(patched.patched).toBe(true);
    expect(varints.map((v) => new Encoder().writeUVarInt(v).buffer.toString('hex'))).toEqual(before);
    expect(await requestOf()).toBe(stock);
  });
});
