/**
 * The WebTrafficMonitor tracker, served at /js/script.js (Plausible's path and body, so
 * `<script defer data-domain="example.com" src="https://wtm.example.com/js/script.js"></script>` works).
 * No cookies, no storage of identifiers: the server derives visitors from a salted hash of IP and user agent.
 *
 * Tag attributes (web/tracker/README.md):
 *   data-domain           site(s), comma separated (default: this page's hostname)
 *   data-api              endpoint (default: <origin of this script>/api/event)
 *   data-hash             hash routing: the fragment is part of the page (also a src named script.hash.js)
 *   data-outbound-links   "Outbound Link: Click" events {url} (also script.outbound-links.js)
 *   data-file-downloads   "File Download" events {url} for links to common file types (also script.file-downloads.js)
 *   data-allow-localhost  also count localhost and file: pages (development, tests)
 *   data-allow-automation also count browsers driven by automation (navigator.webdriver, headless; tests only)
 * Skipped: localhost, automated browsers, and visitors who set localStorage.wtm_ignore = "true".
 *
 * Keep it under 1 KB gzipped: `npm run build` prints the size and fails above it.
 */

interface Options {
  props?: Record<string, string | number | boolean>;
  revenue?: { amount: string | number; currency: string };
  interactive?: boolean;
  /** Called when the event was sent (or ignored). */
  callback?: () => void;
}
type Track = ((name: string, options?: Options) => void) & { q?: IArguments[] | unknown[][] };
interface TrackerWindow extends Window {
  wtm?: Track;
  plausible?: Track;
}

const w = window as TrackerWindow;
const d = document;
const l = location;
const listen = (target: EventTarget, type: string, fn: (e: Event) => void): void => target.addEventListener(type, fn);
// a classic script tag (defer or async): currentScript is set while it runs
const script = d.currentScript as HTMLScriptElement;
const attr = (name: string): string | null => script.getAttribute('data-' + name);
const src = script.src;
const has = (name: string): boolean => attr(name) != null || src.includes('.' + name + '.');
const domain = attr('domain') ?? l.hostname;
const api = attr('api') ?? new URL('/api/event', src).href;
const hash = has('hash');
const downloads = has('file-downloads');
let ignored =
  (!has('allow-localhost') && /^localhost$|^127\.|^\[::1\]$|^$/.test(l.hostname)) || (!has('allow-automation') && navigator.webdriver);
try {
  if (localStorage.wtm_ignore == 'true') ignored = true;
} catch {
  // storage blocked: count the visitor
}

const post = (body: Record<string, unknown>, o?: Options): void => {
  const done = (): void => o?.callback?.();
  if (ignored) return done();
  body.d = domain;
  if (hash) body.h = 1;
  // a string body goes as text/plain: a simple request, no CORS preflight
  fetch(api, { method: 'POST', body: JSON.stringify(body), keepalive: true }).then(done, done);
};

// Engagement (as Plausible's tracker): engaged (visible) time and the deepest scroll of a page, sent
// when the page is hidden (which includes being left), or before a single-page app shows its next page.
let page = '';
let pageUrl = '';
let engaged = 0;
let since = 0;
let depth = 0;
// collect clamps the depth to 0..100
const scrolled = (): void => {
  depth = Math.max(depth, (((w.scrollY + w.innerHeight) / d.documentElement.scrollHeight) * 100) | 0);
};
const engagement = (leaving?: 1): void => {
  const now = Date.now();
  if (since) engaged += now - since;
  since = d.hidden ? 0 : now;
  scrolled();
  if (pageUrl && (leaving || !since) && engaged) {
    post({ n: 'engagement', u: pageUrl, sd: depth, e: engaged });
    engaged = 0;
  }
};

const track: Track = (name, o) => {
  if (name == 'pageview') {
    engagement(1);
    pageUrl = l.href;
    engaged = depth = 0;
    engagement();
  }
  post({ n: name, u: l.href, r: d.referrer, p: o?.props, $: o?.revenue, i: o?.interactive }, o);
};

const pageview = (): void => {
  const p = l.pathname + (hash ? l.hash : '');
  if (p != page) {
    page = p;
    track('pageview');
  }
};

const queued = w.wtm?.q ?? [];
w.wtm = w.plausible = track;

for (const method of ['pushState', 'replaceState'] as const) {
  const original = history[method];
  history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
    original.apply(this, args);
    pageview();
  };
}
listen(w, 'popstate', pageview);
listen(w, 'hashchange', pageview);
listen(w, 'scroll', scrolled);
// hidden: another tab, a minimised window, or the page being left (browsers fire it before unload)
listen(d, 'visibilitychange', () => engagement());
listen(d, 'click', (e) => {
  const a = (e.target as Element).closest('a[href]') as HTMLAnchorElement | null;
  if (!a || !/^http/.test(a.protocol)) return;
  const name =
    downloads && /\.(pdf|xlsx?|docx?|pptx?|txt|csv|zip|rar|gz|7z|exe|dmg|pkg|mp[34]|mov|avi|wav)$/i.test(a.pathname)
      ? 'File Download'
      : has('outbound-links') && a.host != l.host
        ? 'Outbound Link: Click'
        : '';
  // keepalive lets the request outlive the page, so the navigation is not held back
  if (name) track(name, { props: { url: a.href } });
});

pageview();
// calls made before the script loaded: window.wtm = window.wtm || function () { (wtm.q = wtm.q || []).push(arguments) }
for (const args of queued) track(...(args as unknown as Parameters<Track>));

// A module, so its names stay out of the global scope of the type-check (the bundle is an IIFE).
export {};
