/**
 * Country of an IP address from the offline GeoLite2 country MMDB shipped on npm
 * (`@ip-location-db/geolite2-country-mmdb`, records `{country_code}`), read with `maxmind`.
 * Nothing leaves the process: no lookup service, no IP stored.
 */
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import maxmind from 'maxmind';

/** ISO 3166 "user-assigned" code used for unknown, private, reserved and invalid addresses. */
export const UNKNOWN_COUNTRY = 'ZZ';

export interface GeoIp {
  /** ISO 3166-1 alpha-2, upper-case; `ZZ` when unknown, private or not an IP address. */
  country(ip: string): string;
}

const ALPHA2 = /^[A-Z]{2}$/;
// RFC 4291 §2.5.5.2: an IPv4-mapped IPv6 address (as Node reports dual-stack peers) is the IPv4 address.
const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Path of the combined IPv4+IPv6 database inside the npm package. */
export function geoIpDatabasePath(): string {
  const pkg = require.resolve('@ip-location-db/geolite2-country-mmdb/package.json');
  return join(dirname(pkg), 'geolite2-country.mmdb');
}

/** Opens the database once (≈9 MB, read into memory); lookups are then synchronous and cheap. */
export async function openGeoIp(opts: { path?: string; cacheSize?: number } = {}): Promise<GeoIp> {
  const reader = await maxmind.open(opts.path ?? geoIpDatabasePath(), {
    cache: { max: opts.cacheSize ?? 10_000 },
  });
  return {
    country(ip) {
      const mapped = MAPPED_V4.exec(ip);
      const addr = mapped === null ? ip : mapped[1]!;
      // mmdb-lib parses leniently (`300.1.1.1` resolves), so only real addresses are looked up.
      if (isIP(addr) === 0) return UNKNOWN_COUNTRY;
      // ip-location-db records are `{country_code}`, not MaxMind's own shape, so they are read as unknown.
      const record: unknown = reader.get(addr);
      const code = typeof record === 'object' && record !== null && 'country_code' in record ? record.country_code : undefined;
      if (typeof code !== 'string') return UNKNOWN_COUNTRY;
      const upper = code.toUpperCase();
      return ALPHA2.test(upper) ? upper : UNKNOWN_COUNTRY;
    },
  };
}
