import { createHash } from 'node:crypto';
/**
 * CloudEvents Kafka protocol binding 1.0: binary content mode (§3.2) for everything we write,
 * structured mode (§3.3) accepted on read. partitionkey <-> record key (§3.1, Partitioning extension).
 */
import { assertAttributes, clip, isJsonContentType, type CloudEvent, type DecodedEnvelope } from './cloudevent';
import { EventFormatError } from './errors';
import type { OriginalMessage } from './schemas';
import { LIMITS } from './limits';

/** The shape kafkajs produces and consumes (kept structural so events/ does not import kafkajs). */
export interface KafkaRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface KafkaOutgoing {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

const STRUCTURED = 'application/cloudevents+json';

/** `make` of each name, made once per name (a pipeline uses a handful of them) rather than once per event. */
function oncePerName(make: (name: string) => string): (name: string) => string {
  const made = new Map<string, string>();
  return (name) => {
    let v = made.get(name);
    if (v === undefined) {
      v = make(name);
      if (made.size < 256) made.set(name, v);
    }
    return v;
  };
}

/** The header of an attribute: `ce_` + its name. */
const headerNameOf = oncePerName((attribute) => `ce_${attribute}`);
/** The attribute a `ce_` header carries. */
const attributeNameOf = oncePerName((header) => header.slice(3).toLowerCase());

/** Binary mode: attributes become `ce_` headers, datacontenttype becomes `content-type`, data the value. */
export function toKafkaMessage<T>(event: CloudEvent<T>): KafkaOutgoing {
  const { attributes } = event;
  const headers: Record<string, string> = { 'content-type': attributes.datacontenttype ?? 'application/json' };
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (value === undefined || name === 'datacontenttype' || name === 'partitionkey') continue;
    headers[headerNameOf(name)] = value;
  }
  return { key: attributes.partitionkey ?? null, value: Buffer.from(JSON.stringify(event.data)), headers };
}

/** `ce_` in any case (Kafka binding §3.2.3.1: attribute headers are prefixed `ce_`), without a lower-cased copy. */
function isCeHeader(name: string): boolean {
  return name.length >= 3 && (name.charCodeAt(0) | 0x20) === 0x63 && (name.charCodeAt(1) | 0x20) === 0x65 && name.charCodeAt(2) === 0x5f;
}

function headerText(v: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[v.length - 1] : v; // repeated header: the last one wins
  if (one === undefined) return undefined;
  return typeof one === 'string' ? one : one.toString('utf8');
}

function asBuffer(v: Buffer | string | null): Buffer {
  if (v === null) return Buffer.alloc(0);
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/** Reads a record in binary or structured mode. Throws EventFormatError listing every problem. */
export function fromKafkaMessage(record: KafkaRecord): DecodedEnvelope {
  const value = asBuffer(record.value);
  if (value.length > LIMITS.maxRecordBytes) {
    throw new EventFormatError('payload_too_large', [
      { path: 'value', message: `record value is ${value.length} bytes, limit ${LIMITS.maxRecordBytes}` },
    ]);
  }
  const headers = record.headers ?? {};
  const contentType = headerText(headers['content-type']);
  // what every stage writes, so the media type parse is skipped for it
  const plainJson = contentType === undefined || contentType === 'application/json';
  if (!plainJson && contentType.split(';')[0]!.trim().toLowerCase() === STRUCTURED) {
    return fromStructuredJson(value.toString('utf8'), keyText(record.key));
  }
  const attrs: Record<string, string | undefined> = {};
  for (const name of Object.keys(headers)) {
    if (!isCeHeader(name)) continue;
    const text = headerText(headers[name]);
    if (text !== undefined) attrs[attributeNameOf(name)] = text;
  }
  if (contentType !== undefined) attrs.datacontenttype = contentType;
  const key = keyText(record.key);
  if (key !== null && attrs.partitionkey === undefined) attrs.partitionkey = key;
  const attributes = assertAttributes(attrs, 'ce_');
  if (!plainJson && !isJsonContentType(contentType)) {
    throw new EventFormatError('invalid_content_type', [
      { path: 'content-type', message: `unsupported content-type "${clip(contentType ?? '')}", expected application/json` },
    ]);
  }
  return { attributes, dataText: value.toString('utf8') };
}

function keyText(key: Buffer | string | null): string | null {
  if (key === null) return null;
  return typeof key === 'string' ? key : key.toString('utf8');
}

/** Structured mode (§3.3, JSON event format): the whole event is one JSON object. */
export function fromStructuredJson(text: string, key: string | null): DecodedEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new EventFormatError('invalid_json', [{ path: 'body', message: `not valid JSON: ${(e as Error).message}` }]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new EventFormatError('invalid_cloudevent', [{ path: 'body', message: 'a structured CloudEvent must be a JSON object' }]);
  }
  const attrs: Record<string, string | undefined> = {};
  const problems: { path: string; message: string }[] = [];
  let data: unknown;
  for (const [name, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === 'data') data = v;
    else if (name === 'data_base64') problems.push({ path: 'data_base64', message: 'binary data is not accepted, send JSON data' });
    else if (typeof v === 'string') attrs[name] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') attrs[name] = String(v);
    else problems.push({ path: clip(name, 40), message: 'attribute values must be strings' });
  }
  if (key !== null && attrs.partitionkey === undefined) attrs.partitionkey = key;
  if (problems.length > 0) throw new EventFormatError('invalid_cloudevent', problems);
  const attributes = assertAttributes(attrs);
  if (!isJsonContentType(attributes.datacontenttype)) {
    throw new EventFormatError('invalid_content_type', [{ path: 'datacontenttype', message: 'expected application/json data' }]);
  }
  return { attributes, dataText: data === undefined ? '' : JSON.stringify(data) };
}

/** The record as received, for the rejected topic: nothing that enters the pipeline is lost. */
export function originalFromKafka(record: KafkaRecord): OriginalMessage {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(record.headers ?? {})) {
    const text = headerText(v);
    if (text !== undefined) headers[name] = text;
  }
  return { transport: 'kafka', headers, key: keyText(record.key), ...encodeBody(asBuffer(record.value)) };
}

/**
 * Bodies that are valid UTF-8 are kept as text, anything else as base64. A body over
 * LIMITS.maxOriginalBodyBytes keeps its first bytes with its full size and SHA-256: a rejected event
 * must itself fit in a Kafka record, or one huge bad record would block its partition for ever.
 */
export function encodeBody(body: Buffer): Pick<OriginalMessage, 'body' | 'bodyEncoding' | 'truncated' | 'bodyBytes' | 'bodySha256'> {
  const kept = body.length > LIMITS.maxOriginalBodyBytes ? body.subarray(0, LIMITS.maxOriginalBodyBytes) : body;
  const extra =
    kept === body ? {} : { truncated: true as const, bodyBytes: body.length, bodySha256: createHash('sha256').update(body).digest('hex') };
  const text = kept.toString('utf8');
  return Buffer.byteLength(text) === kept.length && !text.includes('\uFFFD')
    ? { body: text, bodyEncoding: 'utf8', ...extra }
    : { body: kept.toString('base64'), bodyEncoding: 'base64', ...extra };
}
