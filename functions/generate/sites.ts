/**
 * What the simulator knows about a site: data, not code, so tests can pass their own.
 * `DEMO_SITES` are the sites `npm start` and the tests register in the site registry.
 */

export interface CustomEventSpec {
  name: string;
  /** Probability that a pageview of a matching path is followed by this event. */
  probability: number;
  /** The event fires only after pageviews whose path starts with this prefix ('' = any). */
  pathPrefix: string;
  /** Small props: each key takes one of its listed values. */
  props: Readonly<Record<string, readonly (string | number | boolean)[]>>;
}

export interface SiteSpec {
  hostname: string;
  /** IANA zone; the site's days and its daily rhythm follow it. */
  timezone: string;
  isPublic: boolean;
  /** Share of all simulated visits (relative to the other sites of a run). */
  weight: number;
  /** Paths in order of popularity (Zipf-like: rank 1 is viewed most). */
  pages: readonly string[];
  /** Zipf exponent of page popularity (≈1 for typical sites). */
  zipf: number;
  /** Pages where campaigns and many visits land (entry pages are biased to them). */
  landingPages: readonly string[];
  /** Probability that a visit has exactly one pageview. */
  bounceRate: number;
  /** Country weights (ISO 3166-1 alpha-2). */
  countries: Readonly<Record<string, number>>;
  /** Relative visits per site-local hour 0..23. */
  hourly: readonly number[];
  /** Relative visits per site-local weekday, Monday first. */
  weekly: readonly number[];
  /** Share of visits by people who came before (on earlier days). */
  returningShare: number;
  events: readonly CustomEventSpec[];
}

/** An office-hours curve and an evening-heavy leisure curve (local hours 0..23). */
const WORKDAY_HOURS = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.5, 6, 6.5, 6.3, 5.5, 6, 6.2, 5.8, 5, 4, 3, 2.6, 2.3, 2, 1.6, 1.2];
const LEISURE_HOURS = [2.2, 1.4, 0.8, 0.5, 0.4, 0.5, 1, 2, 3, 3.5, 3.8, 4, 4.3, 4.2, 4, 4, 4.2, 4.6, 5.2, 6, 6.5, 6.2, 5, 3.5];

const DEMO: SiteSpec[] = [
  {
    hostname: 'shop.example',
    timezone: 'America/New_York',
    isPublic: true,
    weight: 5,
    pages: [
      '/',
      '/products',
      '/products/running-shoes',
      '/cart',
      '/products/trail-jacket',
      '/sale',
      '/checkout',
      '/products/wool-socks',
      '/products/water-bottle',
      '/about',
      '/shipping',
      '/returns',
      '/products/headlamp',
      '/products/backpack-30l',
      '/contact',
      '/gift-cards',
      '/products/rain-pants',
      '/blog',
      '/careers',
      '/privacy',
    ],
    zipf: 1.05,
    landingPages: ['/', '/sale', '/products/running-shoes'],
    bounceRate: 0.42,
    countries: { US: 55, CA: 10, GB: 8, DE: 5, MX: 4, AU: 4, FR: 3, BR: 3, IN: 3, JP: 2, NL: 2, ES: 1 },
    hourly: LEISURE_HOURS,
    weekly: [0.9, 0.9, 0.95, 1, 1.05, 1.2, 1.15],
    returningShare: 0.3,
    events: [
      { name: 'add_to_cart', probability: 0.18, pathPrefix: '/products/', props: { variant: ['S', 'M', 'L', 'XL'], qty: [1, 1, 1, 2, 3] } },
      { name: 'signup', probability: 0.04, pathPrefix: '/checkout', props: { plan: ['guest', 'member'], newsletter: [true, false] } },
    ],
  },
  {
    hostname: 'blog.example',
    timezone: 'Europe/Berlin',
    isPublic: true,
    weight: 3,
    pages: [
      '/',
      '/posts/kafka-exactly-once',
      '/posts/knative-eventing-101',
      '/posts/hyperloglog-explained',
      '/tags/kafka',
      '/posts/mysql-upserts',
      '/about',
      '/posts/lit-web-components',
      '/posts/time-zones-are-hard',
      '/tags/kubernetes',
      '/newsletter',
      '/posts/d3-scales',
      '/archive',
      '/tags/web',
      '/posts/privacy-friendly-analytics',
      '/feed.xml',
    ],
    zipf: 0.9,
    landingPages: ['/posts/kafka-exactly-once', '/posts/hyperloglog-explained', '/posts/time-zones-are-hard'],
    bounceRate: 0.62,
    countries: { DE: 25, US: 20, GB: 8, FR: 6, NL: 5, AT: 4, CH: 4, IN: 6, PL: 4, SE: 3, BR: 3, JP: 3, IT: 3 },
    hourly: WORKDAY_HOURS,
    weekly: [1.15, 1.15, 1.1, 1.1, 1, 0.75, 0.75],
    returningShare: 0.25,
    events: [
      { name: 'signup', probability: 0.06, pathPrefix: '/newsletter', props: { list: ['weekly', 'monthly'] } },
      { name: 'download', probability: 0.03, pathPrefix: '/posts/', props: { format: ['pdf', 'epub'] } },
    ],
  },
  {
    hostname: 'docs.example',
    timezone: 'Asia/Kolkata',
    isPublic: false,
    weight: 2,
    pages: [
      '/',
      '/getting-started',
      '/install',
      '/api/reference',
      '/guides/deploy-knative',
      '/api/stats',
      '/guides/embed-dashboard',
      '/faq',
      '/changelog',
      '/guides/kafka-setup',
      '/troubleshooting',
      '/api/sites',
    ],
    zipf: 1.1,
    landingPages: ['/getting-started', '/install', '/api/reference'],
    bounceRate: 0.35,
    countries: { IN: 35, US: 20, DE: 6, GB: 6, SG: 4, JP: 4, BR: 4, CN: 3, FR: 3, ID: 3, VN: 2, AU: 2 },
    hourly: WORKDAY_HOURS,
    weekly: [1.2, 1.2, 1.15, 1.1, 1, 0.6, 0.55],
    returningShare: 0.4,
    events: [
      { name: 'download', probability: 0.08, pathPrefix: '/install', props: { os: ['linux', 'macos', 'windows'], arch: ['x64', 'arm64'] } },
      { name: 'signup', probability: 0.02, pathPrefix: '/getting-started', props: { plan: ['free', 'team'] } },
    ],
  },
];

export const DEMO_SITES: readonly SiteSpec[] = Object.freeze(DEMO);

/** Finds demo sites by hostname; throws naming the unknown ones. */
export function pickSites(hostnames: readonly string[], from: readonly SiteSpec[] = DEMO_SITES): SiteSpec[] {
  const unknown = hostnames.filter((h) => !from.some((s) => s.hostname === h));
  if (unknown.length > 0) {
    throw new Error(`unknown site(s) ${unknown.join(', ')}; known: ${from.map((s) => s.hostname).join(', ')}`);
  }
  return hostnames.map((h) => from.find((s) => s.hostname === h)!);
}
