/**
 * The seeded traffic simulator: a pure function of its options (and the GeoIP database). Visits are
 * scheduled hour by hour with each site's daily and weekly rhythm in its own time zone, then played
 * out page by page; events come out in timestamp order. The same options give the same events,
 * ids included, so a replay is recognised downstream as the same events.
 */
import { createRawEvent, type CloudEvent, type RawTraffic } from '../../events';
import type { GeoIp } from '../lib/geoip';
import { DAY_MS, HOUR_MS, toLocalMs } from '../lib/time';
import { createIpPool, type IpPool } from './ip-pool';
import { createMalformedRecord, MALFORMED_KIND_NAMES, type MalformedRecord } from './malformed';
import { createRandom, createWeightedPicker, hash32, zipfWeights, type Random, type WeightedPicker } from './random';
import { drawArrival } from './referrers';
import type { CustomEventSpec, SiteSpec } from './sites';
import { BOT_USER_AGENTS, HUMAN_USER_AGENTS, type BotEntry, type UserAgentEntry } from './user-agents';

export interface SimulatorOptions {
  seed: number;
  sites: readonly SiteSpec[];
  /** Events fall in [from, to). */
  from: Date;
  to: Date;
  /** Visits per day over all sites (bots included). Give this or `count`. */
  sessionsPerDay?: number;
  /** Exact number of valid events; the visit rate is chosen to spread them over [from, to). */
  count?: number;
  /** Share of visits made by bots (0..1, default 0.05). */
  botShare?: number;
  /** Probability that a valid event is followed by an extra malformed record (0..1, default 0). */
  malformedShare?: number;
  /** Share of human visitors with an IPv6 address where their country has IPv6 ranges (default 0.15). */
  ipv6Share?: number;
  /**
   * Send a client `sessionId` on every event, as the first simulator did (default false: tracker-shaped
   * events, which carry none). Enrich ignores it either way; visits are derived by aggregate.
   */
  clientSessionIds?: boolean;
  /** Probability that a pageview is followed by an `engagement` report when its page is left (default 0.6). */
  engagementShare?: number;
  geoip: GeoIp;
}

export type SimulatedItem = { type: 'event'; event: CloudEvent<RawTraffic> } | ({ type: 'malformed' } & MalformedRecord);

export interface Simulator extends Iterable<SimulatedItem> {
  /** Short id of this run's options: the prefix of every event and session id. */
  readonly runId: string;
  /** The visit rate used (given, or derived from `count`). */
  readonly sessionsPerDay: number;
}

interface Visitor {
  ip: string;
  ua: string;
  screenWidth: number;
  language: string;
}

interface SiteModel {
  spec: SiteSpec;
  share: number;
  baseUrl: string;
  pages: WeightedPicker<string>;
  landing: readonly string[];
  countries: WeightedPicker<string>;
  hourly: readonly number[];
  weekly: readonly number[];
  events: readonly CustomEventSpec[];
  visitors: Visitor[];
  others: readonly string[];
}

interface Pending {
  ts: number;
  seq: number;
  data: RawTraffic;
}

const MAX_RETURNING_POOL = 20_000;
const THINK_MEDIAN_MS = 35_000;
/** Time on one page (below the 30-minute window: a pause longer than that is drawn on purpose, below). */
const THINK_MAX_MS = 20 * 60_000;
const INACTIVITY_MS = 30 * 60_000;
/**
 * Between two pages a person sometimes pauses longer than the 30-minute window (a new visit by the
 * server's rule, so one person makes several visits a day), and now and then exactly 30 minutes (the
 * visit continues) or 30 minutes and 1 ms (it does not): the boundary of the rule is exercised.
 */
const BREAK_SHARE = 0.05;
const BREAK_MIN_MS = INACTIVITY_MS + 60_000;
const BREAK_MAX_MS = 4 * 3_600_000;
const EXACT_WINDOW_SHARE = 0.004;
const JUST_OVER_WINDOW_SHARE = 0.004;
/** A tab left open: the engagement report of a visit's last page comes long after it (it must not extend the visit). */
const LATE_ENGAGEMENT_SHARE = 0.03;
const LANGUAGES: Readonly<Record<string, string>> = {
  US: 'en-US',
  GB: 'en-GB',
  CA: 'en-CA',
  AU: 'en-AU',
  IN: 'en-IN',
  DE: 'de-DE',
  AT: 'de-AT',
  CH: 'de-CH',
  FR: 'fr-FR',
  ES: 'es-ES',
  MX: 'es-MX',
  BR: 'pt-BR',
  JP: 'ja-JP',
  NL: 'nl-NL',
  PL: 'pl-PL',
  SE: 'sv-SE',
  IT: 'it-IT',
  SG: 'en-SG',
  CN: 'zh-CN',
  ID: 'id-ID',
  VN: 'vi-VN',
};
const HUMANS = createWeightedPicker<UserAgentEntry>(HUMAN_USER_AGENTS.map((u) => [u, u.weight]));
const BOTS = createWeightedPicker<BotEntry>(BOT_USER_AGENTS.map((b) => [b, b.weight]));

function validate(o: SimulatorOptions): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(o.seed)) problems.push('seed must be an integer');
  if (o.sites.length === 0) problems.push('at least one site is needed');
  if (!(o.from.getTime() < o.to.getTime())) problems.push('from must be before to');
  if ((o.sessionsPerDay === undefined) === (o.count === undefined)) problems.push('give exactly one of sessionsPerDay and count');
  if (o.sessionsPerDay !== undefined && !(o.sessionsPerDay >= 0)) problems.push('sessionsPerDay must be >= 0');
  if (o.count !== undefined && !(Number.isSafeInteger(o.count) && o.count >= 0)) problems.push('count must be an integer >= 0');
  for (const [name, v] of [
    ['botShare', o.botShare],
    ['malformedShare', o.malformedShare],
    ['ipv6Share', o.ipv6Share],
    ['engagementShare', o.engagementShare],
  ] as const) {
    if (v !== undefined && !(v >= 0 && v <= 1)) problems.push(`${name} must be between 0 and 1`);
  }
  if (problems.length > 0) throw new RangeError(`invalid simulator options: ${problems.join('; ')}`);
}

const normalise = (xs: readonly number[], to: number): number[] => {
  const sum = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => (x / sum) * to);
};

function buildModels(sites: readonly SiteSpec[]): SiteModel[] {
  const totalWeight = sites.reduce((a, s) => a + s.weight, 0);
  return sites.map((spec) => ({
    spec,
    share: spec.weight / totalWeight,
    baseUrl: `https://${spec.hostname}`,
    pages: createWeightedPicker(spec.pages.map((p, i) => [p, zipfWeights(spec.pages.length, spec.zipf)[i]!])),
    landing: spec.landingPages.length > 0 ? spec.landingPages : spec.pages.slice(0, 1),
    countries: createWeightedPicker(Object.entries(spec.countries)),
    hourly: normalise(spec.hourly, 1),
    weekly: normalise(spec.weekly, spec.weekly.length),
    events: spec.events,
    visitors: [],
    others: sites.filter((s) => s !== spec).map((s) => s.hostname),
  }));
}

interface Session {
  /** Plays one visit starting at `start`; pushes its events (unsorted) to `out`. */
  (model: SiteModel, start: number, sessionId: string, out: Pending[]): void;
}

interface PlayerOptions {
  botShare: number;
  ipv6Share: number;
  clientSessionIds: boolean;
  engagementShare: number;
}

function createSessionPlayer(random: Random, ips: IpPool, po: PlayerOptions, nextSeq: () => number): Session {
  const { botShare, ipv6Share } = po;
  const newVisitor = (model: SiteModel): Visitor => {
    const country = model.countries.pick(random);
    const ua = HUMANS.pick(random);
    return {
      ip: ips.draw(random, country, ipv6Share),
      ua: ua.ua,
      screenWidth: random.pick(ua.screenWidths),
      language: LANGUAGES[country] ?? 'en',
    };
  };
  const visitorFor = (model: SiteModel): Visitor => {
    const pool = model.visitors;
    if (pool.length > 0 && random.chance(model.spec.returningShare)) return random.pick(pool);
    const v = newVisitor(model);
    if (pool.length < MAX_RETURNING_POOL) pool.push(v);
    else pool[random.int(pool.length)] = v;
    return v;
  };
  const pick = <T>(values: readonly T[]): T => random.pick(values);

  const playBot = (model: SiteModel, start: number, sessionId: string, out: Pending[]): void => {
    const bot = BOTS.pick(random);
    // crawlers mostly come from US data centres
    const ip = ips.draw(random, random.chance(0.7) ? 'US' : model.countries.pick(random), 0);
    const pages = 1 + random.int(bot.maxPages);
    let t = start;
    for (let i = 0; i < pages; i++) {
      const url = model.baseUrl + model.pages.pick(random);
      out.push({
        ts: t,
        seq: nextSeq(),
        data: {
          kind: 'pageview',
          site: model.spec.hostname,
          url,
          referrer: '',
          timestamp: '',
          userAgent: bot.ua,
          ip,
          ...(po.clientSessionIds ? { sessionId } : {}),
        },
      });
      t += 500 + random.int(4500);
    }
  };

  const playHuman = (model: SiteModel, start: number, sessionId: string, out: Pending[]): void => {
    const v = visitorFor(model);
    const arrival = drawArrival(random, model.others);
    const pages = random.chance(model.spec.bounceRate) ? 1 : Math.min(30, 2 + Math.floor(random.exponential(2.5)));
    let path = arrival.query !== '' || random.chance(0.35) ? pick(model.landing) : model.pages.pick(random);
    let t = start;
    let referrer = arrival.referrer;
    for (let i = 0; i < pages; i++) {
      const url = model.baseUrl + path + (i === 0 && arrival.query !== '' ? `?${arrival.query}` : '');
      const dwell = Math.round(Math.min(THINK_MAX_MS, Math.max(2000, random.logNormal(THINK_MEDIAN_MS, 1))));
      const common = {
        site: model.spec.hostname,
        url,
        userAgent: v.ua,
        ip: v.ip,
        screenWidth: v.screenWidth,
        language: v.language,
        ...(po.clientSessionIds ? { sessionId } : {}),
      };
      out.push({ ts: t, seq: nextSeq(), data: { kind: 'pageview', ...common, referrer, timestamp: '' } });
      let lastTs = t;
      for (const e of model.events) {
        if (!path.startsWith(e.pathPrefix) || !random.chance(e.probability)) continue;
        const props = Object.fromEntries(Object.entries(e.props).map(([k, values]) => [k, pick(values)]));
        const at = t + 500 + random.int(Math.max(1, dwell - 1000));
        lastTs = Math.max(lastTs, at);
        out.push({ ts: at, seq: nextSeq(), data: { kind: 'event', name: e.name, props, ...common, referrer, timestamp: '' } });
      }
      const last = i === pages - 1;
      if (random.chance(po.engagementShare)) {
        // sent when the page is hidden or left: after the page's last event, before the next page
        const late = last && random.chance(LATE_ENGAGEMENT_SHARE) ? INACTIVITY_MS + random.int(2 * INACTIVITY_MS) : 0;
        const left = Math.max(lastTs + 1, t + dwell - 1 - random.int(500)) + late;
        out.push({
          ts: left,
          seq: nextSeq(),
          data: {
            kind: 'engagement',
            ...common,
            referrer,
            timestamp: '',
            engagementMs: Math.max(0, Math.min(left - t, Math.round(dwell * (0.3 + 0.7 * random.next())))),
            scrollDepth: Math.min(100, Math.round(random.next() * 110)),
          },
        });
      }
      if (last) break;
      // the next page: after the time on this one, or after a pause measured from this page's last event
      const r = random.next();
      if (r < BREAK_SHARE) t = lastTs + BREAK_MIN_MS + random.int(BREAK_MAX_MS - BREAK_MIN_MS);
      else if (r < BREAK_SHARE + EXACT_WINDOW_SHARE) t = lastTs + INACTIVITY_MS;
      else if (r < BREAK_SHARE + EXACT_WINDOW_SHARE + JUST_OVER_WINDOW_SHARE) t = lastTs + INACTIVITY_MS + 1;
      else t += dwell;
      referrer = url; // the next page is reached by an internal link
      const next = model.pages.pick(random);
      path = next === path ? model.pages.pick(random) : next;
    }
  };

  return (model, start, sessionId, out) => (random.chance(botShare) ? playBot : playHuman)(model, start, sessionId, out);
}

/** Mean events per visit of these sites, measured on a short run of their own (for `count`). */
function meanEventsPerVisit(models: readonly SiteModel[], ips: IpPool, o: { seed: number } & PlayerOptions): { mean: number } {
  const random = createRandom(`${o.seed}/pilot`);
  let seq = 0;
  const play = createSessionPlayer(random, ips, o, () => seq++);
  const fresh = models.map((m) => ({ ...m, visitors: [] }));
  const picker = createWeightedPicker(fresh.map((m) => [m, m.share]));
  const sizes: number[] = [];
  const out: Pending[] = [];
  for (let i = 0; i < 1000; i++) {
    out.length = 0;
    play(picker.pick(random), 0, 'pilot', out);
    sizes.push(out.length);
  }
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  return { mean };
}

/** Visits of one site expected in [start, end) (within one UTC hour), by its local hour and weekday. */
function expectedVisits(model: SiteModel, perDay: number, start: number, end: number): number {
  const local = toLocalMs((start + end) / 2, model.spec.timezone);
  const hour = Math.floor(local / HOUR_MS) % 24;
  const weekday = (Math.floor(local / DAY_MS) + 3) % 7; // 1970-01-01 was a Thursday; Monday = 0
  return perDay * model.share * model.hourly[hour]! * model.weekly[weekday]! * ((end - start) / HOUR_MS);
}

export function createSimulator(options: SimulatorOptions): Simulator {
  validate(options);
  const o = { botShare: 0.05, malformedShare: 0, ipv6Share: 0.15, clientSessionIds: false, engagementShare: 0.6, ...options };
  const from = o.from.getTime();
  const to = o.to.getTime();
  // malformedShare is left out: malformed records come from their own stream and never change valid events
  const runId = hash32(
    JSON.stringify([
      o.seed,
      from,
      to,
      o.sessionsPerDay ?? null,
      o.count ?? null,
      o.botShare,
      o.ipv6Share,
      o.clientSessionIds,
      o.engagementShare,
      o.sites,
    ]),
  ).toString(36);
  const ips = createIpPool(o.geoip);
  for (const s of o.sites) {
    for (const c of Object.keys(s.countries))
      if (!ips.hasCountry(c)) throw new RangeError(`site ${s.hostname}: no IP ranges for country ${c}`);
  }
  const firstHour = Math.floor(from / HOUR_MS) * HOUR_MS;
  const hours = Math.ceil((to - firstHour) / HOUR_MS);
  const pilot = o.count === undefined ? undefined : meanEventsPerVisit(buildModels(o.sites), ips, o);
  // For `count`: expected visits at one visit per day in each remaining hour, so the rate can be
  // re-aimed every hour at what is still missing. The rhythm stays; the run ends close to `to`.
  const remainingWeight: number[] = new Array<number>(hours + 1).fill(0);
  if (o.count !== undefined) {
    const models = buildModels(o.sites);
    for (let h = hours - 1; h >= 0; h--) {
      const start = Math.max(firstHour + h * HOUR_MS, from);
      const end = Math.min(firstHour + (h + 1) * HOUR_MS, to);
      remainingWeight[h] = remainingWeight[h + 1]! + models.reduce((a, m) => a + expectedVisits(m, 1, start, end), 0);
    }
  }
  const initialPerDay = pilot === undefined || o.count === undefined ? (o.sessionsPerDay ?? 0) : o.count / pilot.mean / remainingWeight[0]!;

  function* generate(): Generator<SimulatedItem> {
    const random = createRandom(o.seed);
    const badRandom = createRandom(`${o.seed}/malformed`); // own stream: malformed records never change valid traffic
    const models = buildModels(o.sites);
    let seq = 0;
    let sessions = 0;
    let emitted = 0;
    let bad = 0;
    const limit = o.count ?? Number.POSITIVE_INFINITY;
    const play = createSessionPlayer(random, ips, o, () => seq++);
    let pending: Pending[] = [];
    let generated = 0;
    for (let h = 0; h < hours && emitted < limit; h++) {
      const start = Math.max(firstHour + h * HOUR_MS, from);
      const end = Math.min(firstHour + (h + 1) * HOUR_MS, to);
      let perDay = initialPerDay;
      if (pilot !== undefined && o.count !== undefined) {
        // aim a little above `count` (the last visits are cut at `to`); the surplus is cut at `count`
        const missing = o.count * 1.002 + 10 - generated;
        const mean = (pilot.mean * 1000 + generated) / (1000 + sessions);
        perDay = Math.max(0, missing) / (mean * remainingWeight[h]!);
      }
      const before = pending.length;
      for (const model of models) {
        const n = random.poisson(expectedVisits(model, perDay, start, end));
        for (let i = 0; i < n; i++) {
          play(model, start + Math.floor(random.next() * (end - start)), `${runId}-${(sessions++).toString(36)}`, pending);
        }
      }
      if (o.count !== undefined && h === hours - 1) {
        // The rate only aims at `count`: should the last hour fall short, it gets more visits (each
        // starts before `to`, so each adds at least one event) until exactly `count` can be emitted.
        let available = pending.filter((p) => p.ts < end).length;
        while (emitted + available < limit) {
          const model = models[Math.floor(random.next() * models.length)]!;
          const added = pending.length;
          play(model, start + Math.floor(random.next() * (end - start)), `${runId}-${(sessions++).toString(36)}`, pending);
          for (let i = added; i < pending.length; i++) if (pending[i]!.ts < end) available++;
        }
      }
      generated += pending.length - before;
      // Visits starting later begin at or after `end`, so everything before it is final.
      pending.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      let cut = 0;
      while (cut < pending.length && pending[cut]!.ts < end) cut++;
      for (let i = 0; i < cut && emitted < limit; i++) {
        const p = pending[i]!;
        p.data.timestamp = new Date(p.ts).toISOString();
        const event = createRawEvent({ id: `${runId}-${p.seq.toString(36)}`, data: p.data });
        emitted++;
        yield { type: 'event', event };
        if (o.malformedShare > 0 && badRandom.chance(o.malformedShare)) {
          const kind = badRandom.pick(MALFORMED_KIND_NAMES);
          yield { type: 'malformed', ...createMalformedRecord(kind, event, `${runId}-bad-${(bad++).toString(36)}`) };
        }
      }
      pending = pending.slice(cut); // events at or after `to` are never emitted (the visit is cut there)
    }
  }

  return { runId, sessionsPerDay: initialPerDay, [Symbol.iterator]: generate };
}

/** Groups any iterable into arrays of at most `size` (the publisher sends batches). */
export function* inBatches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export type { MalformedRecord };
