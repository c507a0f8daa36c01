/**
 * Client addresses from real country ranges: candidates are drawn and kept only when the GeoIP
 * database puts them in the wanted country, so enrich's country lookup agrees with the simulator.
 * The index of candidate prefixes is a fixed (unseeded) scan, so the same seed and database give
 * the same addresses.
 */
import type { GeoIp } from '../lib/geoip';
import type { Random } from './random';

export interface IpPool {
  /** An address in `country` (IPv6 with probability `ipv6Share` where the country has IPv6 prefixes). */
  draw(random: Random, country: string, ipv6Share: number): string;
  /** Countries for which the database has addresses. */
  hasCountry(country: string): boolean;
}

interface Index {
  /** country → IPv4 /16 prefixes (first two octets packed as a 16-bit number). */
  v4: Map<string, number[]>;
  /** country → IPv6 /32 prefixes as "xxxx:xxxx". */
  v6: Map<string, string[]>;
}

// RIR /12 blocks where most IPv6 /32 allocations are (RIPE, APNIC, ARIN, LACNIC, AFRINIC).
const V6_BLOCKS = [0x2a00, 0x2400, 0x2600, 0x2800, 0x2c00] as const;
const V6_PROBES = 20_000;
const TRIES = 8;

const indexes = new WeakMap<GeoIp, Index>();

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function buildIndex(geoip: GeoIp): Index {
  const v4 = new Map<string, number[]>();
  for (let p = 0; p < 65536; p++) {
    const country = geoip.country(`${p >> 8}.${p & 255}.1.1`);
    if (country !== 'ZZ') push(v4, country, p);
  }
  const v6 = new Map<string, string[]>();
  for (let i = 0; i < V6_PROBES; i++) {
    // a fixed multiplicative sequence covers the blocks evenly without a seed
    const h = Math.imul(i, 2654435761) >>> 0;
    const prefix = `${(V6_BLOCKS[i % V6_BLOCKS.length]! + (h >>> 28)).toString(16)}:${(h & 0xffff).toString(16)}`;
    const country = geoip.country(`${prefix}::1`);
    if (country !== 'ZZ') push(v6, country, prefix);
  }
  return { v4, v6 };
}

const hex16 = (random: Random): string => random.int(65536).toString(16);

export function createIpPool(geoip: GeoIp): IpPool {
  let index = indexes.get(geoip);
  if (index === undefined) {
    index = buildIndex(geoip);
    indexes.set(geoip, index);
  }
  const { v4, v6 } = index;
  const drawV4 = (random: Random, prefixes: readonly number[], country: string): string => {
    let fallback = '';
    for (let i = 0; i < TRIES; i++) {
      const p = random.pick(prefixes);
      const ip = `${p >> 8}.${p & 255}.${random.int(256)}.${1 + random.int(254)}`;
      if (geoip.country(ip) === country) return ip;
      if (i === 0) fallback = `${p >> 8}.${p & 255}.1.1`; // the probe address itself is known to match
    }
    return fallback;
  };
  return {
    hasCountry: (country) => v4.has(country),
    draw(random, country, ipv6Share) {
      const prefixes4 = v4.get(country);
      if (prefixes4 === undefined) throw new Error(`no IPv4 ranges known for country ${country}`);
      const prefixes6 = v6.get(country);
      if (prefixes6 !== undefined && random.chance(ipv6Share)) {
        for (let i = 0; i < TRIES; i++) {
          const ip = `${random.pick(prefixes6)}:${hex16(random)}:${hex16(random)}:${hex16(random)}:${hex16(random)}:${hex16(random)}:${hex16(random)}`;
          if (geoip.country(ip) === country) return ip;
        }
      }
      return drawV4(random, prefixes4, country);
    },
  };
}
