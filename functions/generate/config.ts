/**
 * Configuration of the generate CLI and function, parsed and validated once (flags + env) into a
 * frozen object. Bad values fail here, with a message naming the flag and the expected form.
 */
import { parseArgs } from 'node:util';
import { TOPIC_PREFIX_PATTERN } from '../../events';
import { ConfigError, envLogLevel, envOptional, parseBrokers, type Env, type LogLevel } from '../lib/config';
import { DEMO_SITES, pickSites, type SiteSpec } from './sites';

export interface GenerateConfig {
  seed: number;
  sites: readonly SiteSpec[];
  from: Date;
  to: Date;
  /** Exactly one of count and sessionsPerDay is set. */
  count?: number;
  sessionsPerDay?: number;
  /** Events per second; 0 = as fast as Kafka takes them. */
  rate: number;
  botShare: number;
  malformedShare: number;
  /** Probability of an engagement report after a pageview. */
  engagementShare: number;
  /** Send a client sessionId on every event (the first simulator's shape; enrich ignores it). */
  clientSessionIds: boolean;
  batchSize: number;
  topicPrefix: string;
  truthPath?: string;
  brokers: readonly string[];
  logLevel: LogLevel;
}

export const CLI_HELP = `Usage: npm run generate -- [options]

Generates seeded, realistic traffic for the demo sites and produces it to Kafka (KAFKA_BROKERS).

  --count <n>              valid events to generate (default 10000)
  --sessions-per-day <n>   visits per day over all sites instead of --count
  --seed <n>               seed; the same seed and options give the same events (default 42)
  --sites <a,b>            demo sites (default: ${DEMO_SITES.map((s) => s.hostname).join(',')})
  --from <time>            start, ISO 8601 (default: --to minus --duration)
  --to <time>              end, exclusive, ISO 8601 (default: now)
  --duration <d>           length of the range when --from is absent: 90m, 36h, 7d (default 7d)
  --rate <n>               at most n events per second (default: unlimited)
  --bot-share <0..1>       share of visits by bots (default 0.05)
  --malformed-share <0..1> extra malformed records per valid event (default 0)
  --engagement-share <0..1> engagement reports per pageview, when its page is left (default 0.6)
  --client-session-ids     send a sessionId on every event (default: tracker-shaped, none)
  --batch <n>              events per publish (default 500)
  --topic-prefix <p>       topic prefix (default wtm: topic wtm.traffic.raw)
  --truth <file>           write the ground truth of what was sent as JSON
  -h, --help               this help

Environment: KAFKA_BROKERS (required, host:port,…), LOG_LEVEL.`;

const DURATION = /^(\d+(?:\.\d+)?)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(value: string, flag = '--duration'): number {
  const m = DURATION.exec(value.trim());
  if (m === null || Number(m[1]) <= 0) throw new ConfigError(`${flag}="${value}" is invalid: a length such as 90m, 36h or 7d`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

export function parseNumber(
  value: string | undefined,
  flag: string,
  opts: { min: number; max: number; integer?: boolean },
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < opts.min || n > opts.max || (opts.integer === true && !Number.isInteger(n))) {
    throw new ConfigError(
      `${flag}="${value}" is invalid: ${opts.integer === true ? 'an integer' : 'a number'} from ${opts.min} to ${opts.max}`,
    );
  }
  return n;
}

export function parseDate(value: string, flag: string): Date {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ConfigError(`${flag}="${value}" is invalid: an ISO 8601 time such as 2026-11-01T00:00:00Z`);
  return new Date(ms);
}

export function parseSites(value: string | undefined, flag = '--sites'): SiteSpec[] {
  if (value === undefined) return [...DEMO_SITES];
  try {
    return pickSites(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  } catch (e) {
    throw new ConfigError(`${flag}: ${(e as Error).message}`);
  }
}

export type ParsedCli = { help: true } | { help: false; config: Readonly<GenerateConfig> };

/** Parses the CLI flags and env; `now` is passed in so the default range is testable. */
export function parseCliConfig(argv: readonly string[], env: Env, now: Date): ParsedCli {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        count: { type: 'string' },
        'sessions-per-day': { type: 'string' },
        seed: { type: 'string' },
        sites: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        'bot-share': { type: 'string' },
        'malformed-share': { type: 'string' },
        'engagement-share': { type: 'string' },
        'client-session-ids': { type: 'boolean' },
        batch: { type: 'string' },
        'topic-prefix': { type: 'string' },
        truth: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message} (see --help)`);
  }
  if (values.help === true) return { help: true };
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const to = str('to') === undefined ? now : parseDate(str('to')!, '--to');
  if (str('from') !== undefined && str('duration') !== undefined) throw new ConfigError('give --from or --duration, not both');
  const from =
    str('from') !== undefined ? parseDate(str('from')!, '--from') : new Date(to.getTime() - parseDuration(str('duration') ?? '7d'));
  if (!(from < to)) throw new ConfigError('--from must be before --to');
  if (str('count') !== undefined && str('sessions-per-day') !== undefined)
    throw new ConfigError('give --count or --sessions-per-day, not both');
  const sessionsPerDay = parseNumber(str('sessions-per-day'), '--sessions-per-day', { min: 0, max: 1e8 });
  const count =
    sessionsPerDay === undefined ? (parseNumber(str('count'), '--count', { min: 0, max: 1e9, integer: true }) ?? 10_000) : undefined;
  const prefix = str('topic-prefix') ?? 'wtm';
  if (!TOPIC_PREFIX_PATTERN.test(prefix)) throw new ConfigError(`--topic-prefix="${prefix}" is invalid: lower-case letters, digits, . _ -`);
  const brokers = envOptional(env, 'KAFKA_BROKERS');
  if (brokers === undefined) throw new ConfigError('KAFKA_BROKERS is required: host:port of the Kafka brokers, e.g. 127.0.0.1:9092');
  const config: GenerateConfig = {
    seed: parseNumber(str('seed'), '--seed', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }) ?? 42,
    sites: parseSites(str('sites')),
    from,
    to,
    ...(count === undefined ? { sessionsPerDay } : { count }),
    rate: parseNumber(str('rate'), '--rate', { min: 0, max: 1e7 }) ?? 0,
    botShare: parseNumber(str('bot-share'), '--bot-share', { min: 0, max: 1 }) ?? 0.05,
    malformedShare: parseNumber(str('malformed-share'), '--malformed-share', { min: 0, max: 1 }) ?? 0,
    engagementShare: parseNumber(str('engagement-share'), '--engagement-share', { min: 0, max: 1 }) ?? 0.6,
    clientSessionIds: values['client-session-ids'] === true,
    batchSize: parseNumber(str('batch'), '--batch', { min: 1, max: 100_000, integer: true }) ?? 500,
    topicPrefix: prefix,
    ...(str('truth') === undefined ? {} : { truthPath: str('truth') }),
    brokers: parseBrokers(brokers),
    logLevel: envLogLevel(env),
  };
  return { help: false, config: Object.freeze(config) };
}

export interface GenerateFunctionConfig {
  /** Knative SinkBinding target: events are POSTed there (binary mode) instead of produced to Kafka. */
  sink?: string;
  brokers: readonly string[];
  topicPrefix: string;
  /** Largest burst one request may ask for. */
  maxBurst: number;
  /** Events of one burst when the request does not say (e.g. a PingSource tick). */
  defaultBurst: number;
  /** A burst's events fall in the last `windowMs` before the request. */
  windowMs: number;
  logLevel: LogLevel;
}

/** Env of the generate function: K_SINK or KAFKA_BROKERS, WTM_TOPIC_PREFIX, WTM_GENERATE_BURST, WTM_GENERATE_MAX_BURST. */
export function parseFunctionConfig(env: Env): Readonly<GenerateFunctionConfig> {
  const sink = envOptional(env, 'K_SINK');
  if (sink !== undefined && !URL.canParse(sink)) throw new ConfigError(`K_SINK="${sink}" is invalid: an http(s) URL`);
  const brokers = envOptional(env, 'KAFKA_BROKERS');
  if (sink === undefined && brokers === undefined) throw new ConfigError('set K_SINK (Knative SinkBinding) or KAFKA_BROKERS');
  const prefix = envOptional(env, 'WTM_TOPIC_PREFIX') ?? 'wtm';
  if (!TOPIC_PREFIX_PATTERN.test(prefix))
    throw new ConfigError(`WTM_TOPIC_PREFIX="${prefix}" is invalid: lower-case letters, digits, . _ -`);
  const maxBurst =
    parseNumber(envOptional(env, 'WTM_GENERATE_MAX_BURST'), 'WTM_GENERATE_MAX_BURST', { min: 1, max: 1e6, integer: true }) ?? 50_000;
  return Object.freeze({
    ...(sink === undefined ? {} : { sink }),
    brokers: brokers === undefined ? [] : parseBrokers(brokers),
    topicPrefix: prefix,
    maxBurst,
    defaultBurst: Math.min(
      maxBurst,
      parseNumber(envOptional(env, 'WTM_GENERATE_BURST'), 'WTM_GENERATE_BURST', { min: 1, max: 1e6, integer: true }) ?? 1000,
    ),
    windowMs: 60_000,
    logLevel: envLogLevel(env),
  });
}
