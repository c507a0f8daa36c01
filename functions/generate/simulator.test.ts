import { isbot } from 'isbot';
import { decodeRaw, fromKafkaMessage, isEventFormatError, rawTrafficSchema, LIMITS, type CloudEvent, type RawTraffic } from '../../events';
import { openGeoIp, type GeoIp } from '../lib/geoip';
import { MALFORMED_KIND_NAMES, UNREGISTERED_SITE } from './malformed';
import { createSimulator, inBatches, type SimulatedItem, type SimulatorOptions } from './simulator';
import { DEMO_SITES, type SiteSpec } from './sites';
import { BOT_USER_AGENTS, HUMAN_USER_AGENTS } from './user-agents';

let geoip: GeoIp;
beforeAll(async () => {
  geoip = await openGeoIp();
});

const FROM = new Date('2026-03-02T00:00:00Z'); // a Monday
const TO = new Date('2026-03-09T00:00:00Z');
const run = (o: Partial<SimulatorOptions> = {}): SimulatedItem[] => [
  ...createSimulator({ seed: 7, sites: DEMO_SITES, from: FROM, to: TO, sessionsPerDay: 300, geoip, ...o }),
];
const eventsOf = (items: readonly SimulatedItem[]): CloudEvent<RawTraffic>[] => items.flatMap((i) => (i.type === 'event' ? [i.event] : []));

describe('user-agent catalogue', () => {
  it.each(HUMAN_USER_AGENTS.map((u) => [u.ua]))('isbot says human: %s', (ua) => expect(isbot(ua)).toBe(false));
  it.each(BOT_USER_AGENTS.map((b) => [b.ua]))('isbot says bot: %s', (ua) => expect(isbot(ua)).toBe(true));
});

describe('createSimulator', () => {
  it('gives identical events for the same seed and different ones for another seed', () => {
    const a = run({ malformedShare: 0.02 });
    const b = run({ malformedShare: 0.02 });
    const c = run({ seed: 8, malformedShare: 0.02 });
    expect(b).toEqual(a);
    expect(eventsOf(c).map((e) => e.data)).not.toEqual(eventsOf(a).map((e) => e.data));
    expect(eventsOf(c)[0]!.attributes.id).not.toBe(eventsOf(a)[0]!.attributes.id);
  });

  it('keeps valid traffic unchanged when malformed records are added', () => {
    expect(eventsOf(run({ malformedShare: 0.05 }))).toEqual(eventsOf(run({ malformedShare: 0 })));
  });

  it('emits events in timestamp order, inside [from, to), with unique ids, valid against the raw schema', () => {
    const events = eventsOf(run());
    expect(events.length).toBeGreaterThan(1000);
    let last = FROM.getTime();
    const ids = new Set<string>();
    for (const e of events) {
      const ts = Date.parse(e.data.timestamp);
      expect(ts).toBeGreaterThanOrEqual(last);
      expect(ts).toBeLessThan(TO.getTime());
      last = ts;
      ids.add(e.attributes.id);
      const parsed = rawTrafficSchema.safeParse(e.data);
      if (!parsed.success) throw new Error(`${JSON.stringify(e.data)}: ${parsed.error.message}`);
      expect(e.attributes.source).toBe('/wtm/generate');
      expect(e.attributes.time).toBe(e.data.timestamp);
    }
    expect(ids.size).toBe(events.length);
  });

  it.each([[1], [137], [5000], [20_000]])('emits exactly count=%i valid events', (count) => {
    expect(eventsOf(run({ sessionsPerDay: undefined, count })).length).toBe(count);
  });

  it('spreads a count over the whole range (the last day gets traffic)', () => {
    const events = eventsOf(run({ sessionsPerDay: undefined, count: 20_000 }));
    expect(Date.parse(events.at(-1)!.data.timestamp)).toBeGreaterThan(TO.getTime() - 6 * 3_600_000);
  });

  it('gives the top page a Zipf-like share and keeps the bot share near botShare', () => {
    const site: SiteSpec = {
      ...DEMO_SITES[0]!,
      landingPages: [],
      pages: ['/a', '/b', '/c', '/d', '/e', '/f', '/g', '/h'],
      zipf: 1,
      events: [],
    };
    const events = eventsOf(run({ sites: [site], sessionsPerDay: 3000, botShare: 0.2, clientSessionIds: true }));
    const humans = events.filter((e) => !isbot(e.data.userAgent));
    const top = humans.filter((e) => new URL(e.data.url).pathname === '/a').length / humans.length;
    // Zipf s=1 over 8 pages: 1 / H(8) = 0.368 for rank 1, 0.184 for rank 2
    expect(top).toBeGreaterThan(0.3);
    expect(top).toBeLessThan(0.45);
    const sessions = new Map<string, boolean>();
    for (const e of events) sessions.set(e.data.sessionId!, isbot(e.data.userAgent));
    expect(sessions.size).toBeGreaterThan(10_000);
    const botSessions = [...sessions.values()].filter(Boolean).length / sessions.size;
    const sd = Math.sqrt((0.2 * 0.8) / sessions.size);
    expect(Math.abs(botSessions - 0.2)).toBeLessThan(5 * sd);
  });

  it('sends tracker-shaped events by default: no sessionId, engagement reports after pageviews, with scroll depth', () => {
    const events = eventsOf(run());
    expect(events.filter((e) => e.data.sessionId !== undefined)).toEqual([]);
    const engagement = events.filter((e) => e.data.kind === 'engagement');
    expect(engagement.length / events.filter((e) => e.data.kind === 'pageview').length).toBeGreaterThan(0.4);
    for (const e of engagement) {
      if (e.data.kind !== 'engagement') continue;
      expect(e.data.scrollDepth).toBeGreaterThanOrEqual(0);
      expect(e.data.scrollDepth).toBeLessThanOrEqual(100);
      expect(e.data.engagementMs).toBeGreaterThanOrEqual(0);
    }
    expect(events.filter((e) => e.data.kind === 'pageview' && e.data.engagementMs !== undefined)).toEqual([]);
    expect(eventsOf(run({ clientSessionIds: true })).every((e) => e.data.sessionId !== undefined)).toBe(true);
    expect(eventsOf(run({ engagementShare: 0 })).some((e) => e.data.kind === 'engagement')).toBe(false);
  });

  it('lets people pause longer than 30 minutes between pages, so one person makes several visits a day', () => {
    const byPerson = new Map<string, number[]>();
    for (const e of eventsOf(run())) {
      if (e.data.kind === 'engagement' || isbot(e.data.userAgent)) continue;
      const k = `${e.data.site} ${e.data.ip} ${e.data.userAgent}`;
      byPerson.set(k, [...(byPerson.get(k) ?? []), Date.parse(e.data.timestamp)]);
    }
    const gaps = [...byPerson.values()].flatMap((ts) => ts.slice(1).map((t, i) => t - ts[i]!));
    const long = gaps.filter((g) => g > 30 * 60_000 && g < 4 * 3_600_000 + 60_000).length;
    expect(long / gaps.length).toBeGreaterThan(0.01);
    expect(gaps.filter((g) => g === 30 * 60_000).length).toBeGreaterThan(0);
    expect(gaps.filter((g) => g === 30 * 60_000 + 1).length).toBeGreaterThan(0);
  });

  it('follows the site-local daily rhythm (busy afternoon, quiet night) also for a half-hour zone', () => {
    const docs = DEMO_SITES.find((s) => s.timezone === 'Asia/Kolkata')!;
    const events = eventsOf(run({ sites: [docs], sessionsPerDay: 2000 }));
    const localHour = (ts: string) => new Date(Date.parse(ts) + 5.5 * 3_600_000).getUTCHours();
    const at = (h: number) => events.filter((e) => localHour(e.data.timestamp) === h).length;
    expect(at(10)).toBeGreaterThan(5 * at(3));
  });

  it('brings visitors back on other days', () => {
    const events = eventsOf(run());
    const days = new Map<string, Set<string>>();
    for (const e of events) {
      const k = `${e.data.ip} ${e.data.userAgent}`;
      const set = days.get(k) ?? new Set<string>();
      set.add(e.data.timestamp.slice(0, 10));
      days.set(k, set);
    }
    expect([...days.values()].filter((d) => d.size > 1).length).toBeGreaterThan(10);
  });

  it('puts visitors in their site country mix through real IP ranges, some IPv6', () => {
    const events = eventsOf(run());
    const countries = events.map((e) => geoip.country(e.data.ip));
    expect(countries.filter((c) => c === 'ZZ')).toEqual([]);
    expect(new Set(countries).size).toBeGreaterThan(10);
    expect(events.some((e) => e.data.ip.includes(':'))).toBe(true);
  });

  it('sends custom events with small props, UTM-tagged entries and every referrer class', () => {
    const events = eventsOf(run());
    const names = new Set(events.flatMap((e) => (e.data.kind === 'event' ? [e.data.name] : [])));
    expect(names).toEqual(new Set(['add_to_cart', 'signup', 'download']));
    expect(events.some((e) => e.data.url.includes('utm_campaign='))).toBe(true);
    const refs = new Set(events.map((e) => (e.data.referrer ? new URL(e.data.referrer).hostname : '')));
    for (const h of ['', 'www.google.com', 'www.bing.com', 'duckduckgo.com', 'www.facebook.com', 'www.linkedin.com'])
      expect(refs).toContain(h);
  });

  it.each([
    [{ from: TO, to: FROM }, /from must be before to/],
    [{ count: 10 }, /exactly one of/],
    [{ botShare: 2 }, /botShare/],
    [{ sites: [] }, /at least one site/],
    [{ sites: [{ ...DEMO_SITES[0]!, countries: { XX: 1 } }] }, /country XX/],
  ] as const)('rejects bad options %#', (o, message) => {
    expect(() => createSimulator({ seed: 1, sites: DEMO_SITES, from: FROM, to: TO, sessionsPerDay: 10, geoip, ...o })).toThrow(message);
  });
});

describe('malformed records', () => {
  const items = () => run({ malformedShare: 0.3 }).flatMap((i) => (i.type === 'malformed' ? [i] : []));

  it('covers every kind', () => {
    expect(new Set(items().map((m) => m.kind))).toEqual(new Set(MALFORMED_KIND_NAMES));
  });

  it('fail decoding with the expected reason (or pass it, for the reasons enrich decides later)', () => {
    for (const m of items()) {
      let reason: string | undefined;
      let decoded: CloudEvent<RawTraffic> | undefined;
      try {
        decoded = decodeRaw(fromKafkaMessage(m.record));
      } catch (e) {
        if (!isEventFormatError(e)) throw e;
        reason = e.reason;
      }
      if (m.reason === 'timestamp_out_of_range') {
        expect(Date.now() - Date.parse(decoded!.data.timestamp)).toBeGreaterThan(LIMITS.maxAgeMs);
      } else if (m.reason === 'unknown_site') {
        expect(decoded!.data.site).toBe(UNREGISTERED_SITE);
      } else {
        expect([m.kind, reason]).toEqual([m.kind, m.reason]);
      }
    }
  });
});

describe('inBatches', () => {
  it.each([
    [0, 3, []],
    [5, 2, [2, 2, 1]],
    [6, 3, [3, 3]],
  ])('%i items in batches of %i', (n, size, sizes) => {
    expect(
      [
        ...inBatches(
          Array.from({ length: n }, (_, i) => i),
          size,
        ),
      ].map((b) => b.length),
    ).toEqual(sizes);
  });
});
