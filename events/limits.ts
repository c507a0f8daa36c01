/** Limits that bound every incoming event; anything larger is rejected, never truncated. */
export const LIMITS = {
  /** Whole serialised data of one raw or enriched event (bytes); checked by the typed decoders. */
  maxEventBytes: 96 * 1024,
  /** One record or request of any type (Kafka's default max.message.bytes); checked by the bindings. */
  maxRecordBytes: 1024 * 1024,
  /** The original body kept in a rejected event; beyond it a prefix, the size and a SHA-256 are kept,
   * so the rejected event itself always fits in a Kafka record. */
  maxOriginalBodyBytes: 512 * 1024,
  maxUrlLength: 2048,
  maxUserAgentLength: 1024,
  maxNameLength: 64,
  /** Custom properties (as Plausible): at most 30 pairs, keys up to 300 and values up to 2,000 characters. */
  maxPropKeys: 30,
  maxPropKeyLength: 300,
  maxPropValueLength: 2000,
  maxIdLength: 256,
  maxSourceLength: 1024,
  /** An event may be at most this far in the future of the processing clock (clock skew). */
  maxFutureSkewMs: 10 * 60 * 1000,
  /** ...and at most this old. */
  maxAgeMs: 400 * 24 * 60 * 60 * 1000,
} as const;
