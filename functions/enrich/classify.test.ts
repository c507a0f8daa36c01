import type { RawTraffic } from '../../events';
import type { GeoIp } from '../lib/geoip';
import {
  classifyReferrer,
  createBotCache,
  createUserAgentCache,
  dimensionsOf,
  isBotUserAgent,
  normalizePath,
  pageOf,
  parseUserAgent,
  utmOf,
} from './classify';

const NO_UTM = utmOf('https://example.com/');

describe('parseUserAgent', () => {
  it.each([
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome',
      'Windows',
      'desktop',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      'Safari',
      'macOS',
      'desktop',
    ],
    ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox', 'Linux', 'desktop'],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome',
      'Android',
      'mobile',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      'Safari',
      'iOS',
      'mobile',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
      'Chrome',
      'iOS',
      'mobile',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1',
      'Safari',
      'iPadOS',
      'tablet',
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome',
      'Android',
      'tablet',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
      'Edge',
      'Windows',
      'desktop',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
      'Samsung Internet',
      'Android',
      'mobile',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
      'Opera',
      'Windows',
      'desktop',
    ],
    ['Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0', 'Firefox', 'Android', 'mobile'],
    [
      'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      'Chrome',
      'Chrome OS',
      'desktop',
    ],
    [
      'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
      'Safari',
      'PlayStation',
      'console',
    ],
    [
      'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
      'Samsung Internet',
      'Tizen',
      'tv',
    ],
    [
      'Mozilla/5.0 (Linux; Android 11; SM-R890) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0 Mobile Safari/537.36',
      'Chrome',
      'Android',
      'wearable',
    ],
    ['something/1.0', '', '', 'other'],
  ])('%s', (ua, browser, os, device) => {
    expect(parseUserAgent(ua)).toEqual({ browser, os, device });
  });

  it('caches without changing answers', () => {
    const cached = createUserAgentCache(2);
    const uas = ['Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0', 'a/1', 'b/2', 'a/1'];
    for (const ua of uas) expect(cached(ua)).toEqual(parseUserAgent(ua));
  });
});

describe('isBotUserAgent', () => {
  it.each([
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', true],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', true],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', true],
    ['curl/8.5.0', true],
    ['python-requests/2.32.3', true],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', false],
  ])('%s -> %s', (ua, bot) => expect(isBotUserAgent(ua)).toBe(bot));

  it('caches without changing answers, false ones included, across evictions', () => {
    const cached = createBotCache(2);
    const uas = [
      'curl/8.5.0',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36',
      'curl/8.5.0',
      'python-requests/2.32.3',
    ];
    for (const ua of [...uas, ...uas.reverse()]) expect(cached(ua)).toBe(isBotUserAgent(ua));
  });
});

describe('classifyReferrer', () => {
  it.each([
    ['', '', '', 'Direct / None', 'direct'],
    ['https://www.google.com/', '', 'google.com', 'Google', 'search'],
    ['https://www.google.de/search?q=x', '', 'google.de/search', 'Google', 'search'],
    ['https://www.google.co.uk/', '', 'google.co.uk', 'Google', 'search'],
    ['https://duckduckgo.com/', '', 'duckduckgo.com', 'DuckDuckGo', 'search'],
    ['https://l.facebook.com/l.php?u=x', '', 'l.facebook.com/l.php', 'Facebook', 'social'],
    ['https://t.co/', '', 't.co', 'Twitter', 'social'],
    ['https://www.reddit.com/r/programming/', '', 'reddit.com/r/programming', 'Reddit', 'social'],
    ['https://news.ycombinator.com/item?id=41234567', '', 'news.ycombinator.com/item', 'Hacker News', 'social'],
    ['https://en.wikipedia.org/wiki/Web_analytics', '', 'en.wikipedia.org/wiki/Web_analytics', 'Wikipedia', 'referral'],
    ['https://blog.example.org/post/1?x=1#y', '', 'blog.example.org/post/1', 'blog.example.org', 'referral'],
    ['https://mail.google.com/', '', 'mail.google.com', 'Gmail', 'email'],
    ['https://www.example.com/pricing', '', '', 'Direct / None', 'internal'],
    ['https://www.google.com/', 'utm_source=google&utm_medium=cpc&utm_campaign=spring', 'google.com', 'Google', 'paid'],
    ['', 'utm_source=newsletter&utm_medium=email&utm_campaign=weekly', '', 'newsletter', 'email'],
    ['https://www.linkedin.com/', 'utm_source=linkedin&utm_medium=social', 'linkedin.com', 'LinkedIn', 'social'],
    ['', 'utm_source=partner&utm_medium=affiliate&utm_campaign=bf', '', 'partner', 'campaign'],
    ['https://l.facebook.com/', 'utm_source=facebook&utm_medium=paid_social', 'l.facebook.com', 'Facebook', 'paid'],
  ])('%s ?%s -> %s | %s | %s', (ref, query, referrer, source, channel) => {
    const utm = utmOf(`https://example.com/?${query}`);
    expect(classifyReferrer(ref, 'example.com', utm)).toEqual({ referrer, source, channel });
  });
});

describe('utmOf', () => {
  it('reads the five utm parameters, trimmed, without control characters', () => {
    expect(utmOf('https://e.com/?utm_source=%20news%0A&utm_medium=email&utm_campaign=a+b&utm_content=c&utm_term=t&x=1')).toEqual({
      utmSource: 'news',
      utmMedium: 'email',
      utmCampaign: 'a b',
      utmContent: 'c',
      utmTerm: 't',
    });
    expect(NO_UTM).toEqual({ utmSource: '', utmMedium: '', utmCampaign: '', utmContent: '', utmTerm: '' });
  });
  it.each([
    ['https://e.com/?utm%5Fsource=escaped', 'escaped'],
    ['https://e.com/?%75tm_source=escaped-letter', 'escaped-letter'],
    ['https://e.com/utm_source/?a=1#utm_source=hash', ''],
    ['https://e.com/blog?ref=x&utm_source=q', 'q'],
    ['https://e.com/blog?ref=x', ''],
    ['https://e.com/', ''],
  ])('reads %s as the URL parser does', (url, source) => {
    const q = new URL(url).searchParams;
    expect(utmOf(url).utmSource).toBe(source);
    expect(utmOf(url).utmSource).toBe(q.get('utm_source') ?? '');
  });
});

describe('page normalisation', () => {
  it.each([
    ['https://WWW.Example.com/', 'example.com', '/'],
    ['https://example.com', 'example.com', '/'],
    ['https://example.com/Blog/Post/?a=1#top', 'example.com', '/Blog/Post'],
    ['https://example.com/docs//', 'example.com', '/docs'],
    ['https://example.com/caf%C3%A9', 'example.com', '/café'],
    ['https://example.com/日本語/ページ', 'example.com', '/日本語/ページ'],
    ['https://example.com/<script>alert(1)</script>', 'example.com', '/<script>alert(1)<'],
    ['https://example.com/%E0%A4%A', 'example.com', '/%E0%A4%A'],
    ['https://example.com/a%00b', 'example.com', '/a%00b'],
    ['https://bücher.de/x', 'xn--bcher-kva.de', '/x'],
  ])('%s', (url, hostname, path) => {
    const expected = path === '/<script>alert(1)<' ? '/<script>alert(1)</script>' : path;
    expect(pageOf(url)).toEqual({ hostname, path: expected });
  });

  it('keeps the root as "/"', () => expect(normalizePath('')).toBe('/'));
});

describe('dimensionsOf', () => {
  const geo: GeoIp = { country: (ip) => (ip.startsWith('8.') ? 'US' : 'ZZ') };
  const raw: RawTraffic = {
    kind: 'pageview',
    site: 'example.com',
    url: 'https://www.example.com/pricing/?utm_source=newsletter&utm_medium=email',
    referrer: 'https://mail.google.com/',
    timestamp: '2026-01-01T00:00:00Z',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    ip: '8.8.8.8',
  };
  it('combines every step', () => {
    expect(dimensionsOf(raw, geo)).toEqual({
      hostname: 'example.com',
      path: '/pricing',
      referrer: 'mail.google.com',
      source: 'newsletter',
      channel: 'email',
      utmSource: 'newsletter',
      utmMedium: 'email',
      utmCampaign: '',
      utmContent: '',
      utmTerm: '',
      country: 'US',
      browser: 'Chrome',
      os: 'Windows',
      device: 'desktop',
      bot: false,
    });
  });
  it('flags bots and handles IPv6', () => {
    const d = dimensionsOf({ ...raw, userAgent: 'curl/8.5.0', ip: '2001:db8::1' }, geo);
    expect(d.bot).toBe(true);
    expect(d.country).toBe('ZZ');
  });
});
