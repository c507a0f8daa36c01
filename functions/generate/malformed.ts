/**
 * Deliberately broken records, one kind per way a producer can get an event wrong, each tagged with
 * the reason enrich is expected to reject it with (events/errors.ts). They are ready-made Kafka
 * records so they reach the raw topic exactly as built, bypassing the typed publisher.
 */
import {
  createRawEvent,
  EVENT_TYPES,
  LIMITS,
  toKafkaMessage,
  type CloudEvent,
  type KafkaOutgoing,
  type RawTraffic,
  type RejectReason,
} from '../../events';

export const MALFORMED_KINDS = {
  invalid_json: 'invalid_json',
  missing_field: 'invalid_data',
  bad_timestamp: 'invalid_data',
  oversized_field: 'invalid_data',
  oversized_record: 'payload_too_large',
  wrong_content_type: 'invalid_content_type',
  missing_id: 'invalid_cloudevent',
  unknown_type: 'unknown_type',
  stale_timestamp: 'timestamp_out_of_range',
  unregistered_site: 'unknown_site',
} as const satisfies Record<string, RejectReason>;

export type MalformedKind = keyof typeof MALFORMED_KINDS;
export const MALFORMED_KIND_NAMES = Object.keys(MALFORMED_KINDS) as MalformedKind[];

export interface MalformedRecord {
  kind: MalformedKind;
  /** The reason enrich must reject it with. */
  reason: RejectReason;
  record: KafkaOutgoing;
}

/** A site no registry knows (the `.invalid` TLD is reserved, RFC 2606). */
export const UNREGISTERED_SITE = 'unregistered.invalid';

const withData = (event: CloudEvent<RawTraffic>, data: RawTraffic): KafkaOutgoing =>
  toKafkaMessage(createRawEvent({ id: event.attributes.id, source: event.attributes.source, data }));

const withValue = (message: KafkaOutgoing, value: string): KafkaOutgoing => ({ ...message, value: Buffer.from(value) });

/** Builds a broken record of `kind` from a valid event; `id` must be fresh so it is not taken for a duplicate. */
export function createMalformedRecord(kind: MalformedKind, valid: CloudEvent<RawTraffic>, id: string): MalformedRecord {
  const event: CloudEvent<RawTraffic> = { attributes: { ...valid.attributes, id }, data: valid.data };
  const good = toKafkaMessage(event);
  const record = ((): KafkaOutgoing => {
    switch (kind) {
      case 'invalid_json':
        return withValue(good, good.value.toString('utf8').slice(0, -7));
      case 'missing_field': {
        const { url: _url, ...rest } = event.data;
        return withValue(good, JSON.stringify(rest));
      }
      case 'bad_timestamp':
        // the envelope's time stays valid: only the data is wrong
        return withValue(good, JSON.stringify({ ...event.data, timestamp: 'yesterday at noon' }));
      case 'oversized_field':
        return withValue(
          good,
          JSON.stringify({ ...event.data, userAgent: `${event.data.userAgent} ${'x'.repeat(LIMITS.maxUserAgentLength)}` }),
        );
      case 'oversized_record':
        return withValue(good, JSON.stringify({ ...event.data, url: `${event.data.url}#${'y'.repeat(LIMITS.maxEventBytes)}` }));
      case 'wrong_content_type':
        return { ...good, headers: { ...good.headers, 'content-type': 'text/plain' } };
      case 'missing_id': {
        const { ce_id: _id, ...headers } = good.headers;
        return { ...good, headers };
      }
      case 'unknown_type':
        return { ...good, headers: { ...good.headers, ce_type: EVENT_TYPES.raw.replace(/\.v1$/, '.v0') } };
      case 'stale_timestamp':
        return withData(event, { ...event.data, timestamp: '2001-01-01T00:00:00.000Z' });
      case 'unregistered_site':
        return withData(event, {
          ...event.data,
          site: UNREGISTERED_SITE,
          url: event.data.url.replace(/^https?:\/\/[^/]+/, `https://${UNREGISTERED_SITE}`),
        });
    }
  })();
  return { kind, reason: MALFORMED_KINDS[kind], record };
}
