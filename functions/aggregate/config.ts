/** The aggregate function's environment, read once, validated, frozen (ARCHITECTURE.md "Configuration"). */
import { TOPIC_PREFIX_PATTERN } from '../../events';
import { DEFAULT_FACT_RETENTION_DAYS, MIN_FACT_RETENTION_DAYS } from './prune';
import { ConfigError, envLogLevel, envOptional, envString, parseBrokers, type Env, type LogLevel } from '../lib/config';

export interface AggregateConfig {
  /** Empty when unset: then the HTTP function answers 400 for bad events (Knative's dead-letter sink takes them). */
  kafkaBrokers: readonly string[];
  databaseUrl: string;
  topicPrefix: string;
  /** Flush when this many events are buffered. */
  flushSize: number;
  /** ...or when the oldest has waited this long (ms). */
  flushIntervalMs: number;
  /** Facts (visits, events, props: also the dedupe record) are kept this many site-days. */
  factRetentionDays: number;
  /** How long a site lookup is cached (ms): a removed site is rejected at most this much later. */
  siteCacheTtlMs: number;
  logLevel: LogLevel;
}

function envInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = envOptional(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new ConfigError(`${name}="${raw.slice(0, 40)}" must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * Events per flush of the aggregate writer when WTM_AGGREGATE_FLUSH_SIZE is unset: the 4 partitions'
 * sub-batches of 5,000 share one flush; measured 1.6–1.8× faster than 5,000 (BENCHMARKS.md).
 */
export const DEFAULT_FLUSH_SIZE = 20_000;

export function readAggregateConfig(env: Env, opts: { needKafka: boolean }): Readonly<AggregateConfig> {
  const brokers = envOptional(env, 'KAFKA_BROKERS');
  if (brokers === undefined && opts.needKafka) {
    throw new ConfigError('KAFKA_BROKERS is required: a comma-separated list of host:port, e.g. 127.0.0.1:9092');
  }
  return Object.freeze({
    kafkaBrokers: Object.freeze(brokers === undefined ? [] : parseBrokers(brokers)),
    databaseUrl: envString(env, 'DATABASE_URL', { hint: 'mysql://user:password@host:3306/wtm or sqlite:path/to/file.sqlite' }),
    topicPrefix: envString(env, 'WTM_TOPIC_PREFIX', {
      fallback: 'wtm',
      pattern: TOPIC_PREFIX_PATTERN,
      hint: 'lower-case letters, digits, . _ -',
    }),
    flushSize: envInt(env, 'WTM_AGGREGATE_FLUSH_SIZE', DEFAULT_FLUSH_SIZE, 1, 100_000),
    flushIntervalMs: envInt(env, 'WTM_AGGREGATE_FLUSH_MS', 250, 1, 60_000),
    // at least 8 days: the events table is the dedupe record and must outlive Kafka's 7-day retention
    factRetentionDays: envInt(env, 'WTM_FACT_RETENTION_DAYS', DEFAULT_FACT_RETENTION_DAYS, MIN_FACT_RETENTION_DAYS, 100_000),
    siteCacheTtlMs: envInt(env, 'WTM_SITE_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    logLevel: envLogLevel(env),
  });
}
