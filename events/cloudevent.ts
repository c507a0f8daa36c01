/**
 * The CloudEvents 1.0 model used across the pipeline, independent of any wire format
 * (the bindings in kafka.ts and http.ts map it to and from records and requests).
 */
import { EventFormatError, type Problem } from './errors';
import { LIMITS } from './limits';

/** Context attributes (CloudEvents 1.0 §3). Extension attributes are plain strings here. */
export interface CeAttributes {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** Partitioning extension: maps to the Kafka record key (Kafka binding §3.1). */
  partitionkey?: string;
  [extension: string]: string | undefined;
}

export interface CloudEvent<T> {
  attributes: CeAttributes;
  data: T;
}

/** An event whose envelope is valid but whose data has not been checked yet. */
export interface DecodedEnvelope {
  attributes: CeAttributes;
  /** The data as text (the bindings only carry JSON data). */
  dataText: string;
}

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
/** §3.1: attribute names are lower-case a-z and 0-9, at most 20 characters recommended. */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Checks the context attributes against CloudEvents 1.0 §3; returns every problem found. */
export function checkAttributes(attrs: Record<string, string | undefined>, prefix = ''): Problem[] {
  const problems: Problem[] = [];
  for (const name of REQUIRED) {
    const v = attrs[name];
    if (v === undefined || v === '') problems.push({ path: prefix + name, message: 'required attribute is missing or empty' });
  }
  if (attrs.specversion !== undefined && attrs.specversion !== '' && attrs.specversion !== '1.0') {
    problems.push({ path: prefix + 'specversion', message: `unsupported specversion "${clip(attrs.specversion)}", expected "1.0"` });
  }
  if (attrs.time !== undefined && !(RFC3339.test(attrs.time) && !Number.isNaN(Date.parse(attrs.time)))) {
    problems.push({ path: prefix + 'time', message: 'must be an RFC 3339 timestamp' });
  }
  for (const name of Object.keys(attrs)) {
    const value = attrs[name]; // keys, not entries: no pair array per attribute (this runs per event)
    if (value === undefined) continue;
    if (!ATTRIBUTE_NAME.test(name)) problems.push({ path: prefix + clip(name, 40), message: 'attribute names must be 1-20 of a-z 0-9' });
    const max = name === 'source' ? LIMITS.maxSourceLength : LIMITS.maxIdLength;
    if (value.length > max) problems.push({ path: prefix + name, message: `must be at most ${max} characters` });
    if (CONTROL_CHARS.test(value)) problems.push({ path: prefix + name, message: 'must not contain control characters' });
  }
  return problems;
}

/** Throws EventFormatError('invalid_cloudevent') unless the attributes are valid. */
export function assertAttributes(attrs: Record<string, string | undefined>, prefix = ''): CeAttributes {
  const problems = checkAttributes(attrs, prefix);
  if (problems.length > 0) throw new EventFormatError('invalid_cloudevent', problems);
  return attrs as CeAttributes;
}

/** JSON media types per RFC 6839 (`application/json`, `…+json`), parameters ignored. */
export function isJsonContentType(ct: string | undefined): boolean {
  if (ct === undefined) return true; // §3.1.1 datacontenttype: absent means application/json
  const media = ct.split(';')[0]!.trim().toLowerCase();
  return (
    media === 'application/json' ||
    media === 'text/json' ||
    (media.startsWith('application/') && media.endsWith('+json') && media !== 'application/cloudevents+json')
  );
}

export function clip(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
