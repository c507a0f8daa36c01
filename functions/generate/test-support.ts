/**
 * A stand-in for enrich's `dimensionsOf` used by unit tests until the cross-check with the real one
 * (integration tests). Deliberately simple: it only has to be a pure function of the raw event.
 */
import { isbot } from 'isbot';
import UAParser from 'ua-parser-js';
import type { RawTraffic } from '../../events';
import type { GeoIp } from '../lib/geoip';
import type { DimensionsOf } from './ground-truth';

export function createStandInDimensionsOf(geoip: GeoIp): DimensionsOf {
  return (raw: RawTraffic) => {
    const url = new URL(raw.url);
    const ref = raw.referrer ? new URL(raw.referrer) : undefined;
    const ua = new UAParser(raw.userAgent).getResult();
    const q = url.searchParams;
    const source = q.get('utm_source') ?? ref?.hostname ?? '';
    return {
      path: url.pathname,
      referrer: ref?.hostname ?? '',
      source,
      channel: q.has('utm_medium') ? 'campaign' : ref === undefined ? 'direct' : 'referral',
      utmSource: q.get('utm_source') ?? '',
      utmMedium: q.get('utm_medium') ?? '',
      utmCampaign: q.get('utm_campaign') ?? '',
      utmContent: q.get('utm_content') ?? '',
      utmTerm: q.get('utm_term') ?? '',
      country: geoip.country(raw.ip),
      browser: ua.browser.name ?? '',
      os: ua.os.name ?? '',
      device: ua.device.type ?? 'desktop',
      bot: isbot(raw.userAgent),
    };
  };
}
