/**
 * Real user-agent strings (as sent by current browsers and crawlers), with how often each appears.
 * Weights are rough shares of web traffic, so browsers, operating systems and device classes come
 * out in believable proportions. Bots are listed apart: the simulator decides "bot or not" first.
 */

export type DeviceClass = 'desktop' | 'mobile' | 'tablet';

export interface UserAgentEntry {
  ua: string;
  weight: number;
  device: DeviceClass;
  /** Typical CSS viewport widths for the device. */
  screenWidths: readonly number[];
}

const DESKTOP = [1920, 1536, 1440, 1366, 2560, 1280] as const;
const MOBILE = [390, 393, 412, 414, 360, 430] as const;
const TABLET = [810, 820, 768, 1024, 800] as const;

export const HUMAN_USER_AGENTS: readonly UserAgentEntry[] = [
  // Chrome
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    weight: 30,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    weight: 8,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    weight: 3,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    weight: 22,
    device: 'mobile',
    screenWidths: MOBILE,
  },
  {
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1',
    weight: 2,
    device: 'mobile',
    screenWidths: MOBILE,
  },
  {
    ua: 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    weight: 2,
    device: 'tablet',
    screenWidths: TABLET,
  },
  // Safari
  {
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    weight: 16,
    device: 'mobile',
    screenWidths: MOBILE,
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    weight: 6,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1',
    weight: 3,
    device: 'tablet',
    screenWidths: TABLET,
  },
  // Edge
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
    weight: 9,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
    weight: 1,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  // Firefox
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    weight: 5,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
    weight: 1.5,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    weight: 1.5,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0',
    weight: 0.8,
    device: 'mobile',
    screenWidths: MOBILE,
  },
  // Samsung Internet
  {
    ua: 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
    weight: 3,
    device: 'mobile',
    screenWidths: MOBILE,
  },
  // Opera
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
    weight: 2,
    device: 'desktop',
    screenWidths: DESKTOP,
  },
  {
    ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0',
    weight: 1,
    device: 'mobile',
    screenWidths: MOBILE,
  },
];

export interface BotEntry {
  ua: string;
  weight: number;
  /** Crawlers send no referrer; scripts hit one or a few URLs. */
  maxPages: number;
}

/** Every one of these is classified as a bot by `isbot` (checked by a unit test). */
export const BOT_USER_AGENTS: readonly BotEntry[] = [
  { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', weight: 30, maxPages: 8 },
  {
    ua: 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    weight: 15,
    maxPages: 8,
  },
  { ua: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', weight: 15, maxPages: 8 },
  { ua: 'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', weight: 12, maxPages: 10 },
  { ua: 'curl/8.5.0', weight: 8, maxPages: 1 },
  { ua: 'python-requests/2.32.3', weight: 10, maxPages: 3 },
  {
    ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
    weight: 10,
    maxPages: 5,
  },
];
