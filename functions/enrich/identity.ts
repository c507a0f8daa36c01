/**
 * Cookieless identity in the manner of Plausible: a visitorId that is a keyed hash of (daily salt,
 * site, IP, user agent), and a sessionId derived from 30 minutes of inactivity when the event has none.
 * The salt is derived from WTM_SALT_SECRET and the site-local date, so a replayed event gets the same
 * visitorId, and nothing links one day's visitors to the next without the secret.
 */
import { createHash, createHmac } from 'node:crypto';
import { localDate } from '../lib/time';

/** HMAC-SHA256(secret, YYYY-MM-DD): the day's salt. */
export function dailySalt(secret: string, date: string): Buffer {
  return createHmac('sha256', secret).update(date).digest();
}

/** First 16 hex chars of HMAC-SHA256(daily salt, site "\n" ip "\n" userAgent), per ARCHITECTURE.md. */
export function visitorIdOf(salt: Buffer, site: string, ip: string, userAgent: string): string {
  return createHmac('sha256', salt).update(`${site}\n${ip}\n${userAgent}`).digest('hex').slice(0, 16);
}

export type VisitorHasher = (input: { site: string; timeZone: string; timeMs: number; ip: string; userAgent: string }) => string;

/** visitorIds with the daily salts cached (a handful of dates are live at any time). */
export function createVisitorHasher(secret: string): VisitorHasher {
  const salts = new Map<string, Buffer>();
  return ({ site, timeZone, timeMs, ip, userAgent }) => {
    const date = localDate(timeMs, timeZone);
    let salt = salts.get(date);
    if (salt === undefined) {
      if (salts.size > 64) salts.clear();
      salt = dailySalt(secret, date);
      salts.set(date, salt);
    }
    return visitorIdOf(salt, site, ip, userAgent);
  };
}

export const SESSION_INACTIVITY_MS = 30 * 60 * 1000;

export interface SessionTracker {
  /** The session of a visitor's event at `timeMs`: the open one when within the inactivity window, else a new one. */
  sessionFor(site: string, visitorId: string, timeMs: number): string;
}

/**
 * Sessions held in memory (an LRU of visitors): best effort across restarts and instances, which
 * is why trackers and the simulator send their own sessionId. A new session's id is a hash of
 * (site, visitorId, time of its first event), so replaying the same events yields the same ids.
 */
export function createSessionTracker(opts: { inactivityMs?: number; maxVisitors?: number } = {}): SessionTracker {
  const gap = opts.inactivityMs ?? SESSION_INACTIVITY_MS;
  const max = opts.maxVisitors ?? 100_000;
  const open = new Map<string, { id: string; first: number; last: number }>();
  return {
    sessionFor(site, visitorId, timeMs) {
      const key = `${site}\n${visitorId}`;
      const s = open.get(key);
      open.delete(key); // re-inserted below: Map order is the LRU order
      if (s !== undefined && timeMs >= s.first - gap && timeMs <= s.last + gap) {
        s.first = Math.min(s.first, timeMs);
        s.last = Math.max(s.last, timeMs);
        open.set(key, s);
        return s.id;
      }
      const id = `d${createHash('sha256').update(`${site}\n${visitorId}\n${timeMs}`).digest('hex').slice(0, 31)}`;
      open.set(key, { id, first: timeMs, last: timeMs });
      if (open.size > max) open.delete(open.keys().next().value as string);
      return id;
    },
  };
}
