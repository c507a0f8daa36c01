/**
 * `npm start` options: flags first, then environment, then defaults. Parsed and validated once into
 * a frozen object; a bad value fails before anything starts, naming the flag and the expected form.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TOPIC_PREFIX_PATTERN } from '../../events';
import { ConfigError, envLogLevel, envOptional, parseBrokers, type Env, type LogLevel } from '../lib/config';
import { parseDate, parseNumber, parseSites } from '../generate/config';
import type { SiteSpec } from '../generate/sites';
import { readCollectLimits, type CollectLimits } from '../collect/config';

export interface StartConfig {
  port: number;
  host: string;
  /** Simulated events per second, 0 = no live traffic. */
  rate: number;
  sites: readonly SiteSpec[];
  seed: number;
  /** Days of history simulated on first start (0 = none). */
  backfillDays: number;
  /** End of the simulated history (default: now); with a fixed end and seed the history is reproducible. */
  backfillEnd?: number;
  /** Visits per day over all sites in the backfill. */
  backfillSessionsPerDay: number;
  /** `sqlite:<file>` or `mysql://…`. */
  databaseUrl: string;
  /** Where the embedded default keeps its files (SQLite data, salt secret, demo token). */
  dataDir: string;
  kafkaBrokers?: readonly string[];
  topicPrefix: string;
  saltSecret?: string;
  corsOrigins: string;
  logLevel: LogLevel;
  /** Print the one-line live status (on when stderr is a TTY, or with --status). */
  status: boolean;
  /** false with --no-simulate: no demo sites, no backfill, no live simulated traffic (a real site only). */
  simulate: boolean;
  /** Real sites to register (--site host[@Time/Zone]), counted from the tracker through /api/event. */
  realSites: readonly { hostname: string; timezone: string }[];
  /** Limits of /api/event (the rate limit is off unless WTM_COLLECT_RATE is set). */
  collect: Readonly<CollectLimits>;
}

/** The site of the demo "example site" page (web/demo/example-site.html), always registered. */
export const EXAMPLE_SITE = 'example.localhost';

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function parseRealSite(spec: string): { hostname: string; timezone: string } {
  const [host = '', zone] = spec.trim().split('@');
  const hostname = host.toLowerCase();
  if (!HOSTNAME.test(hostname)) throw new ConfigError(`--site "${spec}": expected a hostname such as example.com, optionally @Time/Zone`);
  const timezone = zone ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new ConfigError(`--site "${spec}": "${timezone}" is not an IANA time zone such as Europe/Berlin`);
  }
  return { hostname, timezone };
}

export const START_HELP = `Usage: npm start -- [options]

Runs WebTrafficMonitor in one process: generate (simulated traffic), enrich, aggregate and query,
with the dashboard on http://localhost:<port>/. By default on an in-process bus and a SQLite file;
KAFKA_BROKERS switches the bus to Kafka, DATABASE_URL=mysql://… switches storage to MySQL.

  --port <n>              HTTP port of the dashboard and API (env PORT, default 8080)
  --host <addr>           address to listen on (env HOST, default 127.0.0.1)
  --rate <n>              simulated events per second, 0 = none (env WTM_RATE, default 10)
  --sites <a,b>           demo sites to simulate (env WTM_SITES, default all demo sites)
  --seed <n>              simulator seed (env WTM_SEED, default 42)
  --backfill-days <n>     days of history simulated on first start, 0 = none (env WTM_BACKFILL_DAYS, default 30)
  --backfill-visits <n>   visits per day in that history (env WTM_BACKFILL_VISITS, default 300)
  --backfill-end <time>   end of that history, ISO 8601 (default: now); fixed end + seed = reproducible history
  --data <dir>            folder for the SQLite file, salt secret and demo token (env WTM_DATA_DIR, default .data)
  --status / --no-status  one-line live status on stderr (default: when stderr is a terminal)
  --no-simulate           nothing simulated: no demo sites, no history, no live traffic (for a real site)
  --site <host[@zone]>    register a real site, e.g. --site example.com@Europe/Berlin (repeatable;
                          env WTM_SITE, comma separated); its pages send events with the tracker:
                          <script defer data-domain="example.com" src="http://localhost:<port>/js/script.js"></script>
  -h, --help              this help

Environment: DATABASE_URL (default sqlite:<data>/wtm.sqlite), KAFKA_BROKERS (host:port,…),
WTM_TOPIC_PREFIX (default wtm), WTM_SALT_SECRET (default: a random secret kept in <data>/salt.secret),
WTM_CORS_ORIGINS, LOG_LEVEL (default warn for npm start), WTM_COLLECT_RATE / WTM_COLLECT_BURST (rate limit of
/api/event per client, default off here), WTM_COLLECT_MAX_BODY_BYTES, WTM_TRUSTED_PROXIES.`;

export type ParsedStart = { help: true } | { help: false; config: Readonly<StartConfig> };

export function parseStartConfig(argv: readonly string[], env: Env, isTty: boolean): ParsedStart {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        rate: { type: 'string' },
        sites: { type: 'string' },
        seed: { type: 'string' },
        'backfill-days': { type: 'string' },
        'backfill-visits': { type: 'string' },
        'backfill-end': { type: 'string' },
        data: { type: 'string' },
        status: { type: 'boolean' },
        'no-status': { type: 'boolean' },
        'no-simulate': { type: 'boolean' },
        site: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\nRun \`npm start -- --help\` for the options.`);
  }
  const v = parsed.values;
  if (v.help === true) return { help: true };
  const pick = (flag: string | undefined, name: string) => flag ?? envOptional(env, name);
  const port = parseNumber(pick(v.port, 'PORT'), '--port', { min: 0, max: 65535, integer: true }) ?? 8080;
  const dataDir = resolve(pick(v.data, 'WTM_DATA_DIR') ?? '.data');
  const databaseUrl = envOptional(env, 'DATABASE_URL') ?? `sqlite:${resolve(dataDir, 'wtm.sqlite')}`;
  if (!/^(sqlite:|mysql:\/\/|mariadb:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(
      `DATABASE_URL must be mysql://user:password@host:3306/database or sqlite:path (got "${databaseUrl.slice(0, 40)}…")`,
    );
  }
  const brokers = envOptional(env, 'KAFKA_BROKERS');
  const topicPrefix = envOptional(env, 'WTM_TOPIC_PREFIX') ?? 'wtm';
  if (!TOPIC_PREFIX_PATTERN.test(topicPrefix))
    throw new ConfigError(`WTM_TOPIC_PREFIX="${topicPrefix}" is invalid: lower-case letters, digits, . _ -`);
  const host = pick(v.host, 'HOST') ?? '127.0.0.1';
  const simulate = v['no-simulate'] !== true;
  const realSiteSpecs = v.site ?? (envOptional(env, 'WTM_SITE') ?? '').split(',').filter((x) => x.trim() !== '');
  const realSites = realSiteSpecs.map(parseRealSite);
  const config: StartConfig = {
    port,
    host,
    rate: simulate ? (parseNumber(pick(v.rate, 'WTM_RATE'), '--rate', { min: 0, max: 100_000 }) ?? 10) : 0,
    sites: simulate || v.sites !== undefined ? parseSites(pick(v.sites, 'WTM_SITES')) : [],
    seed: parseNumber(pick(v.seed, 'WTM_SEED'), '--seed', { min: 0, max: 2 ** 31, integer: true }) ?? 42,
    backfillDays: simulate
      ? (parseNumber(pick(v['backfill-days'], 'WTM_BACKFILL_DAYS'), '--backfill-days', { min: 0, max: 366, integer: true }) ?? 30)
      : 0,
    backfillSessionsPerDay:
      parseNumber(pick(v['backfill-visits'], 'WTM_BACKFILL_VISITS'), '--backfill-visits', { min: 1, max: 1_000_000, integer: true }) ?? 300,
    ...(v['backfill-end'] === undefined ? {} : { backfillEnd: parseDate(v['backfill-end'], '--backfill-end').getTime() }),
    databaseUrl,
    dataDir,
    ...(brokers === undefined ? {} : { kafkaBrokers: parseBrokers(brokers) }),
    topicPrefix,
    ...(envOptional(env, 'WTM_SALT_SECRET') === undefined ? {} : { saltSecret: envOptional(env, 'WTM_SALT_SECRET') }),
    corsOrigins: envOptional(env, 'WTM_CORS_ORIGINS') ?? '',
    logLevel: envOptional(env, 'LOG_LEVEL') === undefined ? 'warn' : envLogLevel(env),
    status: v['no-status'] === true ? false : v.status === true ? true : isTty,
    simulate,
    realSites,
    // One process on a developer's machine: no rate limit unless asked for.
    collect: readCollectLimits({ ...env, WTM_COLLECT_RATE: envOptional(env, 'WTM_COLLECT_RATE') ?? '0' }),
  };
  return { help: false, config: Object.freeze(config) };
}
