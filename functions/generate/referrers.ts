/**
 * Where a visit comes from: the referrer header a browser would send on the entry pageview, and the
 * UTM query a tagged link carries. The channel split is typical of small sites.
 */
import { createWeightedPicker, type Random } from './random';

export interface Arrival {
  /** `document.referrer` of the entry pageview ('' when none). */
  referrer: string;
  /** Query string (without `?`) appended to the entry URL, '' when untagged. */
  query: string;
}

type ArrivalMaker = (random: Random, otherSites: readonly string[]) => Arrival;

const SEARCH = createWeightedPicker<string>([
  ['https://www.google.com/', 80],
  ['https://www.bing.com/', 12],
  ['https://duckduckgo.com/', 8],
]);

const SOCIAL = createWeightedPicker<string>([
  ['https://www.facebook.com/', 5],
  ['https://l.facebook.com/', 3],
  ['https://t.co/', 4],
  ['https://x.com/', 2],
  ['https://www.reddit.com/r/programming/', 4],
  ['https://www.linkedin.com/feed/', 3],
]);

const REFERRAL = createWeightedPicker<string>([
  ['https://news.ycombinator.com/item?id=41234567', 4],
  ['https://github.com/wtm/webtrafficmonitor', 3],
  ['https://stackoverflow.com/questions/7512345/how-to-count-unique-visitors', 2],
  ['https://en.wikipedia.org/wiki/Web_analytics', 1],
  ['https://dev.to/someone/privacy-first-analytics-3k2j', 2],
]);

const CAMPAIGNS: readonly { referrer: string; utm: Record<string, string> }[] = [
  { referrer: 'https://www.google.com/', utm: { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'spring_sale' } },
  { referrer: 'https://l.facebook.com/', utm: { utm_source: 'facebook', utm_medium: 'paid_social', utm_campaign: 'launch' } },
  { referrer: '', utm: { utm_source: 'partner', utm_medium: 'affiliate', utm_campaign: 'black_friday', utm_content: 'banner_a' } },
  { referrer: 'https://www.linkedin.com/', utm: { utm_source: 'linkedin', utm_medium: 'social', utm_campaign: 'hiring_2026' } },
];

const NEWSLETTERS: readonly Record<string, string>[] = [
  { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'weekly_digest' },
  { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'product_update', utm_term: 'release' },
];

const toQuery = (utm: Record<string, string>): string => new URLSearchParams(utm).toString();

const MAKERS = createWeightedPicker<ArrivalMaker>([
  [() => ({ referrer: '', query: '' }), 30], // direct: typed, bookmarked, or referrer stripped
  [(r) => ({ referrer: SEARCH.pick(r), query: '' }), 34],
  [(r) => ({ referrer: SOCIAL.pick(r), query: '' }), 11],
  // email: webmail sends no referrer (or its own host); the link is tagged
  [(r) => ({ referrer: r.chance(0.3) ? 'https://mail.google.com/' : '', query: toQuery(r.pick(NEWSLETTERS)) }), 5],
  [
    (r, others) =>
      others.length > 0 && r.chance(0.4)
        ? { referrer: `https://${r.pick(others)}/`, query: '' }
        : { referrer: REFERRAL.pick(r), query: '' },
    14,
  ],
  [
    (r) => {
      const c = r.pick(CAMPAIGNS);
      return { referrer: c.referrer, query: toQuery(c.utm) };
    },
    6,
  ],
]);

/** Draws how one human visit arrives. `otherSites` are hostnames that may link to this site. */
export function drawArrival(random: Random, otherSites: readonly string[]): Arrival {
  return MAKERS.pick(random)(random, otherSites);
}
