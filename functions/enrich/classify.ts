/**
 * Pure classification of one raw event into the enriched dimensions: page, referrer, source and
 * channel, UTM, country, browser, OS, device, bot. The simulator's ground truth calls `dimensionsOf`
 * too, so the expected per-dimension counts use exactly these rules (see README.md in this folder).
 */
import { isbot } from 'isbot';
import UAParser from 'ua-parser-js';
import type { EnrichedTraffic, RawTraffic } from '../../events';
import type { GeoIp } from '../lib/geoip';

export type Dimensions = Pick<
  EnrichedTraffic,
  | 'hostname'
  | 'path'
  | 'referrer'
  | 'source'
  | 'channel'
  | 'utmSource'
  | 'utmMedium'
  | 'utmCampaign'
  | 'utmContent'
  | 'utmTerm'
  | 'country'
  | 'browser'
  | 'os'
  | 'device'
  | 'bot'
>;

export type Channel = EnrichedTraffic['channel'];
export type Device = EnrichedTraffic['device'];
export const DIRECT_SOURCE = 'Direct / None';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_CHARS_ALL = new RegExp(CONTROL_CHARS.source, 'g');

// ---------------------------------------------------------------------------------------------
// Bots

export function isBotUserAgent(userAgent: string): boolean {
  return isbot(userAgent);
}

// ---------------------------------------------------------------------------------------------
// User agent: ua-parser-js 1.x names mapped to the families a dashboard shows

export interface UserAgentInfo {
  browser: string;
  os: string;
  device: Device;
}

const BROWSERS: Readonly<Record<string, string>> = {
  Chrome: 'Chrome',
  'Mobile Chrome': 'Chrome',
  'Chrome WebView': 'Chrome',
  'Chrome Headless': 'Chrome',
  Chromium: 'Chromium',
  Firefox: 'Firefox',
  'Mobile Firefox': 'Firefox',
  Safari: 'Safari',
  'Mobile Safari': 'Safari',
  Edge: 'Edge',
  'Samsung Internet': 'Samsung Internet',
  Opera: 'Opera',
  'Opera Mobi': 'Opera',
  'Opera Touch': 'Opera',
  'Opera GX': 'Opera',
  'Opera Mini': 'Opera Mini',
  IE: 'Internet Explorer',
  IEMobile: 'Internet Explorer',
  Yandex: 'Yandex',
  Vivaldi: 'Vivaldi',
  Brave: 'Brave',
  UCBrowser: 'UC Browser',
  DuckDuckGo: 'DuckDuckGo',
};

const LINUX_DISTROS = new Set([
  'Linux',
  'Ubuntu',
  'Debian',
  'Fedora',
  'Arch',
  'Mint',
  'CentOS',
  'RedHat',
  'SUSE',
  'Gentoo',
  'Kubuntu',
  'Slackware',
  'Mageia',
  'Mandriva',
  'Zenwalk',
  'Deepin',
  'elementary OS',
  'Manjaro',
]);
const DESKTOP_OS = new Set(['Windows', 'macOS', 'Linux', 'Chrome OS']);

function osFamily(name: string | undefined, model: string | undefined): string {
  if (name === undefined) return '';
  if (name === 'Mac OS') return 'macOS';
  if (name === 'iOS') return model === 'iPad' ? 'iPadOS' : 'iOS';
  if (name === 'Chromium OS') return 'Chrome OS';
  if (LINUX_DISTROS.has(name)) return 'Linux';
  return name.slice(0, 64);
}

function deviceClass(type: string | undefined, os: string, ua: string): Device {
  switch (type) {
    case 'mobile':
      return 'mobile';
    case 'tablet':
      return 'tablet';
    case 'smarttv':
      return 'tv';
    case 'console':
      return 'console';
    case 'wearable':
      return 'wearable';
    case 'embedded':
      return 'other';
  }
  // ua-parser leaves desktops without a type; an Android without a model hint is a phone when it says "Mobile".
  if (DESKTOP_OS.has(os)) return 'desktop';
  if (os === 'Android') return /mobile/i.test(ua) ? 'mobile' : 'tablet';
  if (os === 'iOS') return 'mobile';
  if (os === 'iPadOS') return 'tablet';
  return 'other';
}

export function parseUserAgent(userAgent: string): UserAgentInfo {
  const r = new UAParser(userAgent).getResult();
  const browserName = r.browser.name;
  const browser = browserName === undefined ? '' : (BROWSERS[browserName] ?? browserName.slice(0, 64));
  const os = osFamily(r.os.name, r.device.model);
  return { browser, os, device: deviceClass(r.device.type, os, userAgent) };
}

/** `fn` behind an LRU cache of `maxEntries` answers, by its string argument. */
function lruCached<T>(fn: (key: string) => T, maxEntries: number): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) {
      // re-insert: Map keeps insertion order, so the oldest key is the least recently used
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const value = fn(key);
    cache.set(key, value);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return value;
  };
}

/** `parseUserAgent` behind an LRU cache: real traffic repeats a few hundred user agents. */
export function createUserAgentCache(maxEntries = 5_000): (userAgent: string) => UserAgentInfo {
  return lruCached(parseUserAgent, maxEntries);
}

/**
 * `isBotUserAgent` behind an LRU cache, for the same reason: isbot's one large regular expression cost
 * ~3 % of the enrich process's main thread when run on every event (bench/pipeline.ts staged enrich).
 */
export function createBotCache(maxEntries = 5_000): (userAgent: string) => boolean {
  return lruCached(isBotUserAgent, maxEntries);
}

// ---------------------------------------------------------------------------------------------
// Page: hostname and path

/** Lower-case host (WHATWG URL already lower-cases and punycodes it) without `www.` or a trailing dot. */
export function normalizeHostname(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');
}

/**
 * The path without query and fragment, percent-decoded where that yields printable text (so
 * `/caf%C3%A9` reads `/café`), else kept encoded; no trailing slash except for the root.
 */
export function normalizePath(pathname: string): string {
  let path = pathname === '' ? '/' : pathname;
  if (path.includes('%')) {
    try {
      const decoded = decodeURIComponent(path);
      if (!CONTROL_CHARS.test(decoded)) path = decoded;
    } catch {
      // malformed escapes (`%E0%A4%A`): keep the encoded form rather than guess
    }
  }
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/** Hostname and path of a page URL; with hash routing (Plausible's `h`) the fragment is part of the path. */
export function pageOf(url: string, hashMode = false): { hostname: string; path: string } {
  const u = new URL(url);
  const path = normalizePath(u.pathname);
  return { hostname: normalizeHostname(u.hostname), path: hashMode && u.hash.length > 1 ? `${path}${u.hash}`.slice(0, 2048) : path };
}

// ---------------------------------------------------------------------------------------------
// UTM

export interface Utm {
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmContent: string;
  utmTerm: string;
}

function param(q: URLSearchParams, name: string): string {
  return (q.get(name) ?? '').replace(CONTROL_CHARS_ALL, '').trim().slice(0, 256);
}

const NO_UTM: Readonly<Utm> = Object.freeze({ utmSource: '', utmMedium: '', utmCampaign: '', utmContent: '', utmTerm: '' });

export function utmOf(url: string): Readonly<Utm> {
  // Without "utm_" nor a percent-escape (which could spell one) in it, no query key can be a UTM one:
  // most pageviews, spared a second URL parse.
  if (!url.includes('utm_') && !url.includes('%')) return NO_UTM;
  const q = new URL(url).searchParams;
  return {
    utmSource: param(q, 'utm_source'),
    utmMedium: param(q, 'utm_medium'),
    utmCampaign: param(q, 'utm_campaign'),
    utmContent: param(q, 'utm_content'),
    utmTerm: param(q, 'utm_term'),
  };
}

// ---------------------------------------------------------------------------------------------
// Referrer, source and channel

type KnownKind = 'search' | 'social' | 'email' | 'referral';
interface KnownSource {
  name: string;
  kind: KnownKind;
}

/** Referrer hosts (without `www.`) with a human name; a host also matches its subdomains. */
const KNOWN_HOSTS: Readonly<Record<string, KnownSource>> = {
  'google.com': { name: 'Google', kind: 'search' },
  'bing.com': { name: 'Bing', kind: 'search' },
  'duckduckgo.com': { name: 'DuckDuckGo', kind: 'search' },
  'search.yahoo.com': { name: 'Yahoo!', kind: 'search' },
  'yandex.ru': { name: 'Yandex', kind: 'search' },
  'yandex.com': { name: 'Yandex', kind: 'search' },
  'baidu.com': { name: 'Baidu', kind: 'search' },
  'ecosia.org': { name: 'Ecosia', kind: 'search' },
  'search.brave.com': { name: 'Brave Search', kind: 'search' },
  'startpage.com': { name: 'Startpage', kind: 'search' },
  'qwant.com': { name: 'Qwant', kind: 'search' },
  'facebook.com': { name: 'Facebook', kind: 'social' },
  'fb.com': { name: 'Facebook', kind: 'social' },
  'm.facebook.com': { name: 'Facebook', kind: 'social' },
  'l.facebook.com': { name: 'Facebook', kind: 'social' },
  'lm.facebook.com': { name: 'Facebook', kind: 'social' },
  'instagram.com': { name: 'Instagram', kind: 'social' },
  't.co': { name: 'Twitter', kind: 'social' },
  'twitter.com': { name: 'Twitter', kind: 'social' },
  'x.com': { name: 'Twitter', kind: 'social' },
  'linkedin.com': { name: 'LinkedIn', kind: 'social' },
  'lnkd.in': { name: 'LinkedIn', kind: 'social' },
  'reddit.com': { name: 'Reddit', kind: 'social' },
  'old.reddit.com': { name: 'Reddit', kind: 'social' },
  'youtube.com': { name: 'YouTube', kind: 'social' },
  'pinterest.com': { name: 'Pinterest', kind: 'social' },
  'tiktok.com': { name: 'TikTok', kind: 'social' },
  'mastodon.social': { name: 'Mastodon', kind: 'social' },
  'bsky.app': { name: 'Bluesky', kind: 'social' },
  'threads.net': { name: 'Threads', kind: 'social' },
  'news.ycombinator.com': { name: 'Hacker News', kind: 'social' },
  'mail.google.com': { name: 'Gmail', kind: 'email' },
  'outlook.live.com': { name: 'Outlook.com', kind: 'email' },
  'mail.yahoo.com': { name: 'Yahoo! Mail', kind: 'email' },
  'github.com': { name: 'GitHub', kind: 'referral' },
  'stackoverflow.com': { name: 'Stack Overflow', kind: 'referral' },
  'wikipedia.org': { name: 'Wikipedia', kind: 'referral' },
  'dev.to': { name: 'DEV', kind: 'referral' },
};

/** utm_source spellings that name a known source (lower-case). */
const UTM_SOURCE_NAMES: Readonly<Record<string, string>> = {
  google: 'Google',
  bing: 'Bing',
  duckduckgo: 'DuckDuckGo',
  facebook: 'Facebook',
  fb: 'Facebook',
  instagram: 'Instagram',
  ig: 'Instagram',
  twitter: 'Twitter',
  x: 'Twitter',
  linkedin: 'LinkedIn',
  reddit: 'Reddit',
  youtube: 'YouTube',
  hn: 'Hacker News',
  hackernews: 'Hacker News',
  github: 'GitHub',
};

// Google answers on a country domain per market (google.de, google.co.uk, google.com.au).
const GOOGLE_SEARCH = /^(?:www\.)?google\.(?:com?\.)?[a-z]{2,3}$/;

function knownHost(host: string): KnownSource | undefined {
  if (GOOGLE_SEARCH.test(host)) return { name: 'Google', kind: 'search' };
  // the most specific suffix wins: `l.facebook.com`, then `facebook.com`; `en.wikipedia.org` -> `wikipedia.org`
  for (let h = host; h.includes('.'); h = h.slice(h.indexOf('.') + 1)) {
    const hit = KNOWN_HOSTS[h];
    if (hit !== undefined) return hit;
  }
  return undefined;
}

const PAID_MEDIUM = /^(cpc|ppc|cpm|cpv|cpa|paid|paid[_-]?\w+|\w+[_-]paid|display|banner|retargeting)$/;
const EMAIL_MEDIUM = /^(e[_-]?mail|newsletter)$/;
const SOCIAL_MEDIUM = /^(social|social[_-]network|social[_-]media|sm)$/;
const SEARCH_MEDIUM = /^organic$/;

export interface ReferrerInfo {
  /** host + path of the referrer, no query; '' when none or internal. */
  referrer: string;
  source: string;
  channel: Channel;
}

/**
 * Source: utm_source when tagged (named when known), else the referrer's name or host, else
 * "Direct / None" (as Plausible). Channel: the UTM medium decides when it says paid, email, social
 * or organic; any other tag is a campaign; untagged traffic is classified by its referrer.
 * A referrer on the page's own host is internal navigation: channel `internal`, no referrer.
 */
export function classifyReferrer(referrerUrl: string, pageHostname: string, utm: Utm): ReferrerInfo {
  let referrer = '';
  let refHost = '';
  if (referrerUrl !== '' && URL.canParse(referrerUrl)) {
    const u = new URL(referrerUrl);
    refHost = normalizeHostname(u.hostname);
    const path = normalizePath(u.pathname);
    referrer = path === '/' ? refHost : `${refHost}${path}`;
  }
  const internal = refHost !== '' && refHost === pageHostname;
  const known = internal || refHost === '' ? undefined : knownHost(refHost);
  const tagged = utm.utmSource !== '' || utm.utmMedium !== '' || utm.utmCampaign !== '';
  const utmName = utm.utmSource === '' ? undefined : (UTM_SOURCE_NAMES[utm.utmSource.toLowerCase()] ?? utm.utmSource);
  const source = utmName ?? known?.name ?? (refHost === '' || internal ? DIRECT_SOURCE : refHost);

  let channel: Channel;
  const medium = utm.utmMedium.toLowerCase();
  if (PAID_MEDIUM.test(medium)) channel = 'paid';
  else if (EMAIL_MEDIUM.test(medium)) channel = 'email';
  else if (SOCIAL_MEDIUM.test(medium)) channel = 'social';
  else if (SEARCH_MEDIUM.test(medium)) channel = 'search';
  else if (tagged) channel = 'campaign';
  else if (internal) channel = 'internal';
  else if (refHost === '') channel = 'direct';
  else channel = known?.kind ?? 'referral';

  return { referrer: internal ? '' : referrer, source: source.slice(0, 128), channel };
}

// ---------------------------------------------------------------------------------------------
// All of it

const defaultUa = createUserAgentCache();

/** Every dimension of one raw event, computed the way enrich computes it (bots included). */
export function dimensionsOf(raw: RawTraffic, geo: GeoIp, parseUa: (ua: string) => UserAgentInfo = defaultUa): Dimensions {
  const page = pageOf(raw.url);
  const utm = utmOf(raw.url);
  return {
    ...page,
    ...classifyReferrer(raw.referrer ?? '', page.hostname, utm),
    ...utm,
    country: geo.country(raw.ip),
    ...parseUa(raw.userAgent),
    bot: isBotUserAgent(raw.userAgent),
  };
}
