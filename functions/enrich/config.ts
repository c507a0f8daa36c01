/** The enrich function's environment, read once, validated, frozen (ARCHITECTURE.md "Configuration"). */
import { TOPIC_PREFIX_PATTERN } from '../../events';
import { envLogLevel, envOptional, envString, parseBrokers, ConfigError, type Env, type LogLevel } from '../lib/config';

export interface EnrichConfig {
  /** Empty when K_SINK is set and no KAFKA_BROKERS are given (HTTP function publishing to the sink only). */
  kafkaBrokers: readonly string[];
  databaseUrl: string;
  saltSecret: string;
  topicPrefix: string;
  /** Knative SinkBinding target; when set, the HTTP function POSTs its events there instead of producing. */
  sink: string | undefined;
  logLevel: LogLevel;
}

export function readEnrichConfig(env: Env, opts: { needKafka: boolean }): Readonly<EnrichConfig> {
  const sink = envOptional(env, 'K_SINK');
  if (sink !== undefined && !/^https?:\/\//.test(sink)) throw new ConfigError(`K_SINK="${sink}" must be an http(s) URL`);
  const brokers = envOptional(env, 'KAFKA_BROKERS');
  if (brokers === undefined && (opts.needKafka || sink === undefined)) {
    throw new ConfigError('KAFKA_BROKERS is required: a comma-separated list of host:port, e.g. 127.0.0.1:9092');
  }
  const saltSecret = envString(env, 'WTM_SALT_SECRET', {
    hint: 'a long random secret (e.g. `openssl rand -hex 32`) that keys visitor ids',
  });
  if (saltSecret.length < 16) throw new ConfigError('WTM_SALT_SECRET must be at least 16 characters');
  return Object.freeze({
    kafkaBrokers: Object.freeze(brokers === undefined ? [] : parseBrokers(brokers)),
    databaseUrl: envString(env, 'DATABASE_URL', { hint: 'mysql://user:password@host:3306/wtm (the site registry)' }),
    saltSecret,
    topicPrefix: envString(env, 'WTM_TOPIC_PREFIX', {
      fallback: 'wtm',
      pattern: TOPIC_PREFIX_PATTERN,
      hint: 'lower-case letters, digits, . _ -',
    }),
    sink,
    logLevel: envLogLevel(env),
  });
}
