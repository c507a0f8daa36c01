/** The collect function's environment, read once, validated, frozen (ARCHITECTURE.md "Configuration"). */
import { LIMITS, TOPIC_PREFIX_PATTERN } from '../../events';
import { ConfigError, envLogLevel, envOptional, envString, parseBrokers, type Env, type LogLevel } from '../lib/config';
import { parseTrustedProxies, TrustedProxiesError, type TrustedProxies } from './client-ip';

export interface CollectLimits {
  /** Largest request body accepted (bytes); larger ones answer 413 without being read. */
  maxBodyBytes: number;
  /** A body must arrive within this time (slow senders hold a connection and memory). */
  bodyTimeoutMs: number;
  /** A publish that takes longer answers 503 (the event may still arrive; see README). */
  publishTimeoutMs: number;
  /** Token bucket per client (IPv4 address or IPv6 /64); undefined = no limit. */
  rateLimit: { ratePerSecond: number; burst: number } | undefined;
  trustedProxies: TrustedProxies;
}

export interface CollectConfig extends CollectLimits {
  /** Empty when only K_SINK is used. */
  kafkaBrokers: readonly string[];
  topicPrefix: string;
  sink: string | undefined;
  logLevel: LogLevel;
}

export const COLLECT_DEFAULTS = {
  maxBodyBytes: 16 * 1024,
  bodyTimeoutMs: 10_000,
  publishTimeoutMs: 5_000,
  ratePerSecond: 10,
  burst: 50,
} as const;

function envNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = envOptional(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new ConfigError(`${name}="${raw.slice(0, 40)}" must be a number from ${min} to ${max}`);
  return n;
}

/** The limits alone (npm start reads its own flags and passes these in). */
export function readCollectLimits(env: Env): Readonly<CollectLimits> {
  const ratePerSecond = envNumber(env, 'WTM_COLLECT_RATE', COLLECT_DEFAULTS.ratePerSecond, 0, 1_000_000);
  const burst = envNumber(env, 'WTM_COLLECT_BURST', COLLECT_DEFAULTS.burst, 1, 1_000_000);
  let trustedProxies: TrustedProxies;
  try {
    trustedProxies = parseTrustedProxies(envOptional(env, 'WTM_TRUSTED_PROXIES') ?? '');
  } catch (e) {
    if (e instanceof TrustedProxiesError) throw new ConfigError(`WTM_TRUSTED_PROXIES: ${e.message}`);
    throw e;
  }
  return Object.freeze({
    maxBodyBytes: envNumber(env, 'WTM_COLLECT_MAX_BODY_BYTES', COLLECT_DEFAULTS.maxBodyBytes, 256, LIMITS.maxEventBytes),
    bodyTimeoutMs: envNumber(env, 'WTM_COLLECT_BODY_TIMEOUT_MS', COLLECT_DEFAULTS.bodyTimeoutMs, 100, 120_000),
    publishTimeoutMs: envNumber(env, 'WTM_COLLECT_PUBLISH_TIMEOUT_MS', COLLECT_DEFAULTS.publishTimeoutMs, 100, 120_000),
    // WTM_COLLECT_RATE=0 switches the limit off.
    rateLimit: ratePerSecond === 0 ? undefined : { ratePerSecond, burst },
    trustedProxies,
  });
}

export function readCollectConfig(env: Env): Readonly<CollectConfig> {
  const sink = envOptional(env, 'K_SINK');
  if (sink !== undefined && !/^https?:\/\//.test(sink)) throw new ConfigError(`K_SINK="${sink}" must be an http(s) URL`);
  const brokers = envOptional(env, 'KAFKA_BROKERS');
  if (brokers === undefined && sink === undefined) {
    throw new ConfigError('KAFKA_BROKERS is required: a comma-separated list of host:port, e.g. 127.0.0.1:9092');
  }
  return Object.freeze({
    ...readCollectLimits(env),
    kafkaBrokers: Object.freeze(brokers === undefined ? [] : parseBrokers(brokers)),
    topicPrefix: envString(env, 'WTM_TOPIC_PREFIX', {
      fallback: 'wtm',
      pattern: TOPIC_PREFIX_PATTERN,
      hint: 'lower-case letters, digits, . _ -',
    }),
    sink,
    logLevel: envLogLevel(env),
  });
}
