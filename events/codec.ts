/**
 * Typed events: checking an envelope's type and data against the schemas, and building the
 * events each stage emits. Wire formats live in kafka.ts and http.ts.
 */
import { digest } from './digest';
import type { z } from 'zod';
import type { CloudEvent, DecodedEnvelope } from './cloudevent';
import { EventFormatError, type Problem, type RejectReason } from './errors';
import {
  rawTrafficSchema,
  enrichedTrafficSchema,
  rejectedTrafficSchema,
  type EnrichedTraffic,
  type OriginalMessage,
  type RawTraffic,
  type RejectedTraffic,
} from './schemas';
import { LIMITS } from './limits';
import { checkEnrichedTraffic } from './enriched-check';
import { checkRawTraffic } from './raw-check';
import { EVENT_TYPES, SOURCES } from './types';

function issuesToProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.map((i) => ({ path: ['data', ...i.path.map(String)].join('.'), message: i.message }));
}

/** Checks type and data of an envelope. Throws EventFormatError (unknown_type | invalid_json | invalid_data). */
export function decodeData<S extends z.ZodType>(
  env: DecodedEnvelope,
  expectedType: string,
  schema: S,
  maxBytes: number,
  /** A check that agrees with `schema` where it answers (raw-check.ts); undefined asks the schema. */
  quickCheck?: (json: unknown) => z.infer<S> | undefined,
): CloudEvent<z.infer<S>> {
  if (env.attributes.type !== expectedType) {
    throw new EventFormatError('unknown_type', [
      { path: 'type', message: `expected "${expectedType}", got "${env.attributes.type.slice(0, 100)}"` },
    ]);
  }
  const bytes = Buffer.byteLength(env.dataText);
  if (bytes > maxBytes) {
    throw new EventFormatError('payload_too_large', [{ path: 'data', message: `data is ${bytes} bytes, limit ${maxBytes}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(env.dataText);
  } catch (e) {
    throw new EventFormatError('invalid_json', [{ path: 'data', message: `not valid JSON: ${(e as Error).message}` }]);
  }
  const checked = quickCheck?.(json);
  if (checked !== undefined) return { attributes: env.attributes, data: checked };
  const result = schema.safeParse(json);
  if (!result.success) throw new EventFormatError('invalid_data', issuesToProblems(result.error.issues));
  return { attributes: env.attributes, data: result.data };
}

export const decodeRaw = (env: DecodedEnvelope): CloudEvent<RawTraffic> =>
  decodeData(env, EVENT_TYPES.raw, rawTrafficSchema, LIMITS.maxEventBytes, checkRawTraffic);
export const decodeEnriched = (env: DecodedEnvelope): CloudEvent<EnrichedTraffic> =>
  decodeData(env, EVENT_TYPES.enriched, enrichedTrafficSchema, LIMITS.maxEventBytes, checkEnrichedTraffic);
export const decodeRejected = (env: DecodedEnvelope): CloudEvent<RejectedTraffic> =>
  decodeData(env, EVENT_TYPES.rejected, rejectedTrafficSchema, LIMITS.maxRecordBytes);

/** Partition key of raw events: one visitor's events (same site, IP and user agent) share a partition. */
export function rawPartitionKey(data: Pick<RawTraffic, 'site' | 'ip' | 'userAgent'>): string {
  return digest('sha1', `${data.site}\n${data.ip}\n${data.userAgent}`, 'base64url').slice(0, 16);
}

export function createRawEvent(init: { id: string; source?: string; data: RawTraffic }): CloudEvent<RawTraffic> {
  return {
    attributes: {
      specversion: '1.0',
      id: init.id,
      source: init.source ?? SOURCES.generate,
      type: EVENT_TYPES.raw,
      time: init.data.timestamp,
      datacontenttype: 'application/json',
      partitionkey: rawPartitionKey(init.data),
    },
    data: init.data,
  };
}

/**
 * The enriched event's id is derived from the raw event's (source, id): a raw event delivered
 * twice yields the same enriched event, so every later stage can recognise the duplicate.
 */
export function enrichedEventId(rawSource: string, rawId: string): string {
  return digest('sha256', `${rawSource}\n${rawId}`, 'hex').slice(0, 32);
}

export function createEnrichedEvent(raw: { source: string; id: string }, data: EnrichedTraffic): CloudEvent<EnrichedTraffic> {
  return {
    attributes: {
      specversion: '1.0',
      id: enrichedEventId(raw.source, raw.id),
      source: SOURCES.enrich,
      type: EVENT_TYPES.enriched,
      time: data.timestamp,
      datacontenttype: 'application/json',
      subject: data.site,
      // one visitor-day's events share a partition, so one aggregator sees a day's visits of a person
      partitionkey: `${data.site}/${data.visitorId}`,
    },
    data,
  };
}

let rejectedSeq = 0;
export function createRejectedEvent(init: {
  stage: RejectedTraffic['stage'];
  reason: RejectReason;
  problems: readonly Problem[];
  original: OriginalMessage;
  now: Date;
}): CloudEvent<RejectedTraffic> {
  // Deterministic id when the original has one, so a redelivered bad event is recognisable too.
  const origId = init.original.headers['ce_id'] ?? init.original.headers['ce-id'];
  const origSource = init.original.headers['ce_source'] ?? init.original.headers['ce-source'];
  const id =
    origId !== undefined && origSource !== undefined
      ? digest('sha256', `rejected\n${origSource}\n${origId}`, 'hex').slice(0, 32)
      : digest('sha256', `rejected\n${init.original.body}\n${init.now.toISOString()}\n${++rejectedSeq}`, 'hex').slice(0, 32);
  return {
    attributes: {
      specversion: '1.0',
      id,
      source: `/wtm/${init.stage}`,
      type: EVENT_TYPES.rejected,
      time: init.now.toISOString(),
      datacontenttype: 'application/json',
    },
    data: {
      reason: init.reason,
      problems: init.problems.slice(0, 50).map((p) => ({ path: p.path.slice(0, 200), message: p.message.slice(0, 500) })),
      stage: init.stage,
      rejectedAt: init.now.toISOString(),
      original: init.original,
    },
  };
}
