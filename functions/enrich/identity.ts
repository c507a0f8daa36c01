/**
 * Cookieless identity in the manner of Plausible: a visitorId that is a keyed hash of (daily salt,
 * site, IP, user agent), with the salt of the event's site-local day and of the day before (so aggregate
 * can continue a visit across midnight). Visits themselves are derived by aggregate, not here.
 * The salt is derived from WTM_SALT_SECRET and the site-local date, so a replayed event gets the same
 * visitorId, and nothing links one day's visitors to the next without the secret.
 */
import { createHmac } from 'node:crypto';
import { dateOfDay, DAY_MS, localDayOf } from '../lib/time';

/** HMAC-SHA256(secret, YYYY-MM-DD): the day's salt. */
export function dailySalt(secret: string, date: string): Buffer {
  return createHmac('sha256', secret).update(date).digest();
}

/** First 16 hex chars of HMAC-SHA256(daily salt, site "\n" ip "\n" userAgent), per ARCHITECTURE.md. */
export function visitorIdOf(salt: Buffer, site: string, ip: string, userAgent: string): string {
  return createHmac('sha256', salt).update(`${site}\n${ip}\n${userAgent}`).digest('hex').slice(0, 16);
}

export interface VisitorIds {
  /** With the salt of the event's site-local day. */
  visitorId: string;
  /** With the salt of the day before. */
  prevVisitorId: string;
}

export type VisitorHasher = (input: { site: string; timeZone: string; timeMs: number; ip: string; userAgent: string }) => VisitorIds;

/** visitorIds with the daily salts cached (a handful of dates are live at any time). */
export function createVisitorHasher(secret: string): VisitorHasher {
  // per site-local day bucket: its salt and the day before's, found by the number, so an event builds no
  // date string (the date arithmetic was ~1 % of enrich's CPU per event, the date string ~3 % of its core)
  const salts = new Map<number, { salt: Buffer; prev: Buffer }>();
  const saltsOf = (dayMs: number) => {
    let pair = salts.get(dayMs);
    if (pair === undefined) {
      if (salts.size > 64) salts.clear();
      pair = { salt: dailySalt(secret, dateOfDay(dayMs)), prev: dailySalt(secret, dateOfDay(dayMs - DAY_MS)) };
      salts.set(dayMs, pair);
    }
    return pair;
  };
  return ({ site, timeZone, timeMs, ip, userAgent }) => {
    const { salt, prev } = saltsOf(localDayOf(timeMs, timeZone));
    return { visitorId: visitorIdOf(salt, site, ip, userAgent), prevVisitorId: visitorIdOf(prev, site, ip, userAgent) };
  };
}
