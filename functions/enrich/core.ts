/**
 * The enrich core: a named list of small steps (as Plausible's ingestion pipeline). Each step passes
 * the event on or drops it with a reason from the closed set REJECT_REASONS; every outcome is counted.
 * No I/O here except through the injected `SiteLookup` and `Publisher`.
 */
import {
  createEnrichedEvent,
  createRejectedEvent,
  decodeRaw,
  isEventFormatError,
  LIMITS,
  REJECT_REASONS,
  type CloudEvent,
  type EnrichedTraffic,
  type Problem,
  type RawTraffic,
  type RejectReason,
  type RejectedTraffic,
  type Topics,
} from '../../events';
import type { BatchHandler, Inbound, Publisher } from '../lib/bus';
import type { GeoIp } from '../lib/geoip';
import type { Logger } from '../lib/logger';
import type { SiteInfo, SiteLookup } from '../sites/types';
import { classifyReferrer, createBotCache, createUserAgentCache, pageOf, utmOf, type UserAgentInfo } from './classify';
import { createVisitorHasher } from './identity';

export interface EnrichCoreDeps {
  sites: SiteLookup;
  geo: GeoIp;
  /** WTM_SALT_SECRET: keys the daily salt of visitorIds. */
  saltSecret: string;
  /** The processing clock (time bounds, rejectedAt). */
  now: () => Date;
  parseUserAgent?: (ua: string) => UserAgentInfo;
}

export type Outcome =
  | { kind: 'enriched'; event: CloudEvent<EnrichedTraffic>; bot: boolean }
  | { kind: 'rejected'; event: CloudEvent<RejectedTraffic>; reason: RejectReason };

/** What the steps build up; `out` becomes the enriched data. */
interface Draft {
  raw: CloudEvent<RawTraffic>;
  data: RawTraffic;
  timeMs: number;
  site: SiteInfo;
  bot: boolean;
  out: EnrichedTraffic;
}

class Drop {
  constructor(
    readonly reason: RejectReason,
    readonly problems: readonly Problem[],
  ) {}
}

type Step = (d: Draft) => void;

/**
 * The order of the steps after decode, time bounds and site lookup (which build the draft).
 * Bots stop after `page` and `country`: a bot event keeps site, kind, name, timestamp, hostname,
 * path and country (aggregate counts bot events; the rest would only cost UA parsing).
 */
function createSteps(deps: EnrichCoreDeps): readonly { name: string; human: boolean; run: Step }[] {
  const parseUa = deps.parseUserAgent ?? createUserAgentCache();
  const hashVisitor = createVisitorHasher(deps.saltSecret);
  return [
    { name: 'page', human: false, run: (d) => Object.assign(d.out, pageOf(d.data.url, d.data.hashMode === true)) },
    { name: 'country', human: false, run: (d) => void (d.out.country = deps.geo.country(d.data.ip)) },
    { name: 'user_agent', human: true, run: (d) => Object.assign(d.out, parseUa(d.data.userAgent)) },
    { name: 'utm', human: true, run: (d) => Object.assign(d.out, utmOf(d.data.url)) },
    { name: 'referrer', human: true, run: (d) => Object.assign(d.out, classifyReferrer(d.data.referrer ?? '', d.out.hostname, d.out)) },
    {
      name: 'visitor',
      human: false,
      // a client's sessionId is not trusted (and not passed on): aggregate derives visits from these ids
      run: (d) => {
        Object.assign(
          d.out,
          hashVisitor({ site: d.site.hostname, timeZone: d.site.timezone, timeMs: d.timeMs, ip: d.data.ip, userAgent: d.data.userAgent }),
        );
      },
    },
  ];
}

function baseOf(data: RawTraffic, bot: boolean): EnrichedTraffic {
  const custom = data.kind === 'event';
  return {
    site: data.site,
    kind: data.kind,
    name: custom ? data.name : '',
    props: custom && !bot ? (data.props ?? {}) : {},
    revenue: custom && !bot ? (data.revenue ?? null) : null,
    interactive: custom ? data.interactive !== false : true,
    timestamp: data.timestamp,
    visitorId: '',
    prevVisitorId: '',
    hostname: '',
    path: '',
    referrer: '',
    source: '',
    channel: 'direct',
    utmSource: '',
    utmMedium: '',
    utmCampaign: '',
    utmContent: '',
    utmTerm: '',
    country: '',
    browser: '',
    os: '',
    device: 'other',
    bot,
    screenWidth: bot ? null : (data.screenWidth ?? null),
    language: bot ? '' : (data.language ?? ''),
    engagementMs: bot ? 0 : (data.engagementMs ?? 0),
    scrollDepth: data.kind === 'engagement' && !bot ? (data.scrollDepth ?? null) : null,
  };
}

/** decode: the envelope and data against events/ schemas. */
function decode(inbound: Inbound): CloudEvent<RawTraffic> {
  try {
    return decodeRaw(inbound.decode());
  } catch (e) {
    if (isEventFormatError(e)) throw new Drop(e.reason, e.problems);
    throw e;
  }
}

/** time bounds: not too far in the future (clock skew) nor older than the retention we aggregate. */
function checkTime(data: RawTraffic, now: Date): number {
  const timeMs = Date.parse(data.timestamp);
  const nowMs = now.getTime();
  if (timeMs > nowMs + LIMITS.maxFutureSkewMs) {
    throw new Drop('timestamp_out_of_range', [{ path: 'data.timestamp', message: `more than ${LIMITS.maxFutureSkewMs} ms in the future` }]);
  }
  if (timeMs < nowMs - LIMITS.maxAgeMs) {
    throw new Drop('timestamp_out_of_range', [{ path: 'data.timestamp', message: `older than ${LIMITS.maxAgeMs} ms` }]);
  }
  return timeMs;
}

/** site: only registered sites are counted. */
async function lookupSite(sites: SiteLookup, hostname: string): Promise<SiteInfo> {
  const site = await sites.getSite(hostname);
  if (site === undefined) throw new Drop('unknown_site', [{ path: 'data.site', message: `site "${hostname}" is not registered` }]);
  return site;
}

/**
 * One inbound message -> enriched or rejected event. Throws only transient failures (the site
 * lookup's database is down, a bug): those make the whole batch redeliver.
 */
export function createEnrichCore(deps: EnrichCoreDeps): (inbound: Inbound) => Promise<Outcome> {
  const steps = createSteps(deps);
  const isBot = createBotCache();
  return async (inbound) => {
    try {
      const raw = decode(inbound);
      const data = raw.data;
      const timeMs = checkTime(data, deps.now());
      const site = await lookupSite(deps.sites, data.site);
      const bot = isBot(data.userAgent);
      const draft: Draft = { raw, data, timeMs, site, bot, out: baseOf(data, bot) };
      for (const step of steps) if (!bot || !step.human) step.run(draft);
      // The enriched id derives from the raw (source, id): a redelivered raw event yields the same event.
      return { kind: 'enriched', event: createEnrichedEvent(raw.attributes, draft.out), bot };
    } catch (e) {
      if (!(e instanceof Drop)) throw e;
      const event = createRejectedEvent({
        stage: 'enrich',
        reason: e.reason,
        problems: e.problems,
        original: inbound.original(),
        now: deps.now(),
      });
      return { kind: 'rejected', event, reason: e.reason };
    }
  };
}

// ---------------------------------------------------------------------------------------------

export interface EnrichMetrics {
  enriched: number;
  bots: number;
  rejected: Record<RejectReason, number>;
}

export function emptyMetrics(): EnrichMetrics {
  return { enriched: 0, bots: 0, rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number> };
}

export interface EnricherDeps extends EnrichCoreDeps {
  publisher: Publisher;
  topics: Pick<Topics, 'enriched' | 'rejected'>;
  logger: Logger;
}

export interface Enricher {
  /** Enriches a batch and publishes the results; resolves after both publishes resolved. */
  process(batch: readonly Inbound[]): Promise<Outcome[]>;
  handleBatch: BatchHandler;
  /** Counts of published outcomes since start (`enriched` includes `bots`). */
  metrics(): EnrichMetrics;
}

export function createEnricher(deps: EnricherDeps): Enricher {
  const enrichOne = createEnrichCore(deps);
  const metrics = emptyMetrics();
  const log = deps.logger;
  const process = async (batch: readonly Inbound[]): Promise<Outcome[]> => {
    const outcomes: Outcome[] = [];
    for (const inbound of batch) outcomes.push(await enrichOne(inbound));
    const enriched = outcomes.flatMap((o) => (o.kind === 'enriched' ? [o.event] : []));
    const rejected = outcomes.flatMap((o) => (o.kind === 'rejected' ? [o.event] : []));
    // Both must be durable before the batch is acknowledged; a failure throws (TransientError) -> redelivery.
    await Promise.all([deps.publisher.publish(deps.topics.enriched, enriched), deps.publisher.publish(deps.topics.rejected, rejected)]);
    outcomes.forEach((o, i) => {
      if (o.kind === 'enriched') {
        metrics.enriched++;
        if (o.bot) metrics.bots++;
      } else {
        metrics.rejected[o.reason]++;
        log.info({ where: batch[i]!.where, reason: o.reason, rejectedId: o.event.attributes.id }, 'rejected');
      }
    });
    return outcomes;
  };
  return {
    process,
    handleBatch: async (batch) => void (await process(batch)),
    metrics: () => ({ ...metrics, rejected: { ...metrics.rejected } }),
  };
}
