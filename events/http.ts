/**
 * CloudEvents HTTP protocol binding 1.0: binary mode (§3.1: `ce-` headers, Content-Type = datacontenttype)
 * and structured mode (§3.2: Content-Type application/cloudevents+json). Knative's KafkaSource delivers
 * binary mode; both are accepted.
 */
import { assertAttributes, clip, isJsonContentType, type CloudEvent, type DecodedEnvelope } from './cloudevent';
import { EventFormatError } from './errors';
import { encodeBody, fromStructuredJson } from './kafka';
import { LIMITS } from './limits';
import type { OriginalMessage } from './schemas';

export type HttpHeaders = Record<string, string | string[] | undefined>;

const STRUCTURED = 'application/cloudevents+json';

export function toHttpBinary<T>(event: CloudEvent<T>): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': event.attributes.datacontenttype ?? 'application/json' };
  for (const [name, value] of Object.entries(event.attributes)) {
    if (value === undefined || name === 'datacontenttype') continue;
    headers[`ce-${name}`] = value;
  }
  return { headers, body: JSON.stringify(event.data) };
}

export function toHttpStructured<T>(event: CloudEvent<T>): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': `${STRUCTURED}; charset=utf-8` }, body: JSON.stringify({ ...event.attributes, data: event.data }) };
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Reads a request in either mode. Throws EventFormatError listing every problem. */
export function fromHttp(headers: HttpHeaders, body: Buffer | string): DecodedEnvelope {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  if (buf.length > LIMITS.maxRecordBytes) {
    throw new EventFormatError('payload_too_large', [
      { path: 'body', message: `body is ${buf.length} bytes, limit ${LIMITS.maxRecordBytes}` },
    ]);
  }
  const contentType = headerText(headers['content-type']);
  if (contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() === STRUCTURED) {
    return fromStructuredJson(buf.toString('utf8'), null);
  }
  const attrs: Record<string, string | undefined> = {};
  for (const [name, v] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('ce-')) continue;
    const text = headerText(v);
    // §3.1.3.2: header values are percent-encoded where needed
    if (text !== undefined) attrs[lower.slice(3)] = safeDecode(text);
  }
  if (contentType !== undefined) attrs.datacontenttype = contentType;
  const attributes = assertAttributes(attrs, 'ce-');
  if (!isJsonContentType(contentType)) {
    throw new EventFormatError('invalid_content_type', [
      { path: 'content-type', message: `unsupported content-type "${clip(contentType ?? '')}", expected application/json` },
    ]);
  }
  return { attributes, dataText: buf.toString('utf8') };
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function originalFromHttp(headers: HttpHeaders, body: Buffer | string): OriginalMessage {
  const flat: Record<string, string> = {};
  for (const [name, v] of Object.entries(headers)) {
    const text = headerText(v);
    if (text !== undefined && name.toLowerCase() !== 'authorization') flat[name.toLowerCase()] = text;
  }
  return { transport: 'http', headers: flat, key: null, ...encodeBody(typeof body === 'string' ? Buffer.from(body) : body) };
}
