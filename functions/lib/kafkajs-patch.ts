/**
 * Patches to kafkajs 2.2.4 (the last release), applied once when functions/lib/kafka.ts is loaded.
 *
 * 1. `RequestQueue#scheduleCheckPendingRequests` computes `this.throttledUntil - Date.now()` and passes it
 * to setTimeout even when nothing is pending and nothing is throttled: `throttledUntil` starts at -1,
 * so the delay is minus the current epoch (`TimeoutNegativeWarning: -1796146714283 is a negative
 * number` on Node 24), Node turns it into 1 ms, and the check reschedules itself every millisecond
 * for the life of every broker connection (kafkajs issues #1751 and #1704, unmerged PRs #1755/#1768).
 * Here a check is scheduled only when a request is pending (after the throttle, else in 10 ms as
 * kafkajs does) or a throttle is running; with an empty queue there is nothing to check, and the
 * next `push` schedules again.
 *
 * 2. The record encoder (`protocol/recordBatch/record/v0`) allocates a zero-filled 512-byte buffer for
 * each record and each of its headers, and `Encoder#writeUVarInt` a Buffer for every varint: a
 * CloudEvent in the binary binding has six headers, so about 17 µs of encoding per record, a tenth of
 * collect's CPU. `encodeRecord` writes the same bytes into one buffer sized up front (the test compares
 * it byte for byte with kafkajs's own encoder), and `writeUVarInt` writes into the encoder's buffer.
 */
import { createRequire } from 'node:module';

/** kafkajs's own interval for re-checking pending requests (`CHECK_PENDING_REQUESTS_INTERVAL`). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueLike {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
}

/** The delay of the next pending-request check, or undefined when none is needed. */
export function pendingCheckDelay(throttledUntil: number, pending: number, now: number): number | undefined {
  const untilUnthrottled = throttledUntil - now;
  if (untilUnthrottled > 0) return untilUnthrottled;
  return pending > 0 ? CHECK_PENDING_REQUESTS_INTERVAL_MS : undefined;
}

export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  const delay = pendingCheckDelay(this.throttledUntil, this.pending.length, Date.now());
  if (delay === undefined) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

/** Replaces the method on kafkajs's RequestQueue; true when it was found and patched. */
export function patchKafkajsRequestQueue(): boolean {
  const load = createRequire(__filename);
  const RequestQueue: unknown = load('kafkajs/src/network/requestQueue');
  if (typeof RequestQueue !== 'function') return false;
  const proto = (RequestQueue as { prototype: Record<string, unknown> }).prototype;
  if (typeof proto.scheduleCheckPendingRequests !== 'function') return false;
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Record encoding

/** What kafkajs's Encoder is, as far as the record batch uses a record: its bytes in `buf[0, offset)`. */
interface EncoderLike {
  buf: Buffer;
  offset: number;
}

interface EncoderClass {
  prototype: EncoderLike & Record<string, unknown>;
}

type HeaderValue = Buffer | string;

/** A record as kafkajs's producer hands it to the record encoder. */
export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>;
}

const zigZag = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;

function sizeOfUVarInt(u: number): number {
  let bytes = 1;
  while (u >= 0x80) {
    bytes++;
    u = Math.floor(u / 128);
  }
  return bytes;
}

function writeUVarIntAt(buf: Buffer, at: number, u: number): number {
  while (u >= 0x80) {
    buf[at++] = (u & 0x7f) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[at++] = u;
  return at;
}

type Part = Buffer | string | null | undefined;

const isPart = (v: unknown): v is Part => v === null || v === undefined || typeof v === 'string' || Buffer.isBuffer(v);

/** Byte length of a key, value or header; -1 for "absent" (written as varint -1). */
const lengthOf = (v: Part): number =>
  v === null || v === undefined ? -1 : typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;

const sizeOfPart = (length: number): number => sizeOfUVarInt(zigZag(length)) + Math.max(length, 0);

function writePart(out: Buffer, at: number, v: Part, length: number): number {
  at = writeUVarIntAt(out, at, zigZag(length));
  if (v === null || v === undefined) return at;
  return at + (typeof v === 'string' ? out.write(v, at, length, 'utf8') : v.copy(out, at));
}

const fitsVarInt = (n: number): boolean => Number.isInteger(n) && n >= -(2 ** 30) && n < 2 ** 30;

/**
 * Kafka's record v2 (`Length Attributes TimestampDelta OffsetDelta Key Value Headers`, all varints
 * zig-zag encoded), as kafkajs encodes it, into one buffer; undefined for a record this encoder leaves
 * to kafkajs (a value of another type, a delta past 2^30).
 */
export function encodeRecordBytes(record: RecordInput): Buffer | undefined {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = record;
  if (!fitsVarInt(offsetDelta) || !fitsVarInt(timestampDelta) || !isPart(key) || !isPart(value)) return undefined;
  // Parts in wire order: key, value, then each header's name and value.
  const parts: Part[] = [key, value];
  for (const name of Object.keys(headers)) {
    const h = headers[name];
    for (const v of Array.isArray(h) ? h : [h]) {
      // kafkajs throws on a header that is neither a string nor a Buffer; leave that to it.
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined;
      parts.push(name, v);
    }
  }
  const headerCount = (parts.length - 2) / 2;
  const lengths = parts.map(lengthOf);
  let body = 1 + sizeOfUVarInt(zigZag(timestampDelta)) + sizeOfUVarInt(zigZag(offsetDelta)) + sizeOfUVarInt(zigZag(headerCount));
  for (const length of lengths) body += sizeOfPart(length);
  const out = Buffer.allocUnsafe(sizeOfUVarInt(zigZag(body)) + body);
  let at = writeUVarIntAt(out, 0, zigZag(body));
  out[at++] = 0; // attributes: none used
  at = writeUVarIntAt(out, at, zigZag(timestampDelta));
  at = writeUVarIntAt(out, at, zigZag(offsetDelta));
  at = writePart(out, at, parts[0], lengths[0]!);
  at = writePart(out, at, parts[1], lengths[1]!);
  at = writeUVarIntAt(out, at, zigZag(headerCount));
  for (let i = 2; i < parts.length; i++) at = writePart(out, at, parts[i], lengths[i]!);
  return out;
}

/**
 * Installs `encodeRecordBytes` as kafkajs's record encoder (falling back to kafkajs's own for the records
 * it leaves), and an allocation-free `Encoder#writeUVarInt`. Must run before the first produce request
 * loads the encoder: false when that already happened or kafkajs is not shaped as 2.2.4 is.
 */
export function patchKafkajsRecordEncoder(): boolean {
  const load = createRequire(__filename);
  const recordPath = load.resolve('kafkajs/src/protocol/recordBatch/record/v0');
  const producePath = load.resolve('kafkajs/src/protocol/requests/produce/v3/request');
  const original = load(recordPath) as (record: RecordInput) => EncoderLike;
  if ((original as { patched?: boolean }).patched === true) return true;
  if (load.cache[producePath] !== undefined) return false;
  const Encoder = load('kafkajs/src/protocol/encoder') as EncoderClass;
  const cached = load.cache[recordPath];
  if (cached === undefined || typeof original !== 'function' || typeof Encoder.prototype.ensureAvailable !== 'function') return false;
  const encodeRecord = (record: RecordInput): EncoderLike => {
    const bytes = encodeRecordBytes(record);
    if (bytes === undefined) return original(record);
    const encoder = Object.create(Encoder.prototype) as EncoderLike;
    encoder.buf = bytes;
    encoder.offset = bytes.length;
    return encoder;
  };
  cached.exports = Object.assign(encodeRecord, { patched: true });
  const ensureAvailable = Encoder.prototype.ensureAvailable as (this: EncoderLike, n: number) => void;
  Encoder.prototype.writeUVarInt = function writeUVarInt(this: EncoderLike, value: number): EncoderLike {
    ensureAvailable.call(this, 5);
    // kafkajs takes an int32 and shifts it unsigned: the same bytes as its unsigned value.
    this.offset = writeUVarIntAt(this.buf, this.offset, value >>> 0);
    return this;
  };
  return true;
}
