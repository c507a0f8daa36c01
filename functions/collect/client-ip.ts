/**
 * Who the client is: the socket's address, or — only when the socket's peer is a trusted proxy
 * (WTM_TRUSTED_PROXIES, CIDRs; Knative's queue-proxy and ingress are such proxies) — the first
 * untrusted hop of X-Forwarded-For, read from the right. Anyone can write X-Forwarded-For, so hops
 * are believed only as far as a trusted proxy vouches for them.
 */
import { BlockList, isIP } from 'node:net';

export class TrustedProxiesError extends Error {
  override readonly name = 'TrustedProxiesError';
}

export interface TrustedProxies {
  has(ip: string): boolean;
  /** The list as configured, for logs. */
  readonly text: string;
}

/** `10.0.0.0/8, 127.0.0.1, ::1/128` → a matcher. An empty list trusts nobody. */
export function parseTrustedProxies(list: string): TrustedProxies {
  const block = new BlockList();
  const entries = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const entry of entries) {
    const [addr = '', prefixText, ...rest] = entry.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText ?? '0') === '') {
      throw new TrustedProxiesError(`"${entry.slice(0, 60)}" is not an IP address or CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
    block.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    has: (ip) => {
      const family = isIP(ip);
      return family !== 0 && block.check(ip, family === 4 ? 'ipv4' : 'ipv6');
    },
    text: entries.join(','),
  };
}

/**
 * A canonical address or undefined: trims, drops a port (`1.2.3.4:80`, `[::1]:80`), unwraps
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports), lower-cases IPv6.
 */
export function normalizeIp(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed !== null) s = bracketed[1] ?? '';
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  s = s.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (mapped !== null) s = mapped[1] ?? '';
  return isIP(s) === 0 ? undefined : s;
}

/** At most this many hops are examined; a longer header cannot make us work harder. */
const MAX_HOPS = 32;

/** The client's address, or undefined when even the socket's is unknown (the socket is gone). */
export function clientIp(
  peer: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): string | undefined {
  const peerIp = normalizeIp(peer);
  if (peerIp === undefined || forwardedFor === undefined || !trusted.has(peerIp)) return peerIp;
  const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
  let current = peerIp;
  for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
    const hop = normalizeIp(hops[i]);
    // Garbage in the header: the trusted proxy that passed it on is the nearest address we can vouch for.
    if (hop === undefined) return current;
    current = hop;
    if (!trusted.has(hop)) return hop;
  }
  return current;
}

/** Expands an IPv6 address to its eight groups. */
function ipv6Groups(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const part = (s: string): string[] => {
    if (s === '') return [];
    return s.split(':').flatMap((g) => {
      if (!g.includes('.')) return [g];
      const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  };
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0'));
}

/**
 * The rate-limit key of a client: its IPv4 address, or its IPv6 /64 (one subscriber usually owns a
 * whole /64, so per-address buckets would let one host rotate through billions of them).
 */
export function rateLimitKey(ip: string): string {
  return isIP(ip) === 6 ? `${ipv6Groups(ip).slice(0, 4).join(':')}::/64` : ip;
}
