/**
 * HyperLogLog for unique visitors: precision p = 14 (16384 registers, standard error
 * 1.04/sqrt(16384) ≈ 0.81%), 64-bit hashes.
 *
 * - Sparse form (HLL++, Heule et al. 2013 §5.3): while small, the sketch keeps (index, rank) pairs
 *   at a finer precision p' = 25 and counts them by linear counting over 2^25 buckets, which is
 *   exact for all practical purposes up to thousands of visitors.
 * - Dense form: 16384 six-bit registers, estimated with Ertl's improved estimator ("New cardinality
 *   estimation algorithms for HyperLogLog sketches", 2017, Algorithm 6), which needs no empirical bias
 *   tables and is unbiased from 0 to far beyond any site's daily visitors (Redis uses the same).
 * - The form only depends on the set of hashes seen: dense iff the sparse entries would exceed
 *   SPARSE_MAX (or a dense sketch was merged in). So merge is associative, commutative and idempotent
 *   also on the serialised bytes.
 *
 * Hashes: a visitorId is already the first 64 bits of an HMAC-SHA256 (ARCHITECTURE.md "visitor"),
 * uniformly distributed, so its 16 hex digits are used as the hash directly; any other string is
 * hashed with SHA-256 first.
 */
import { createHash } from 'node:crypto';

export const P = 14;
const M = 1 << P;
/** Sparse precision (HLL++ uses p' = 25). */
const SP = 25;
/** Bits left after the dense index: the rank is 1 + leading zeros in these (q in Ertl's paper). */
const Q = 64 - P;
/** Stored sparse entries are 4 bytes; past this many the dense form (12288 bytes) is smaller. */
export const SPARSE_MAX = (M * 6) / 8 / 4;

const VERSION = 1;
const SPARSE = 0;
const DENSE = 1;
const HEADER = 3;

const HEX64 = /^[0-9a-f]{16}$/;

export interface Hll {
  /** Adds one item (a visitorId, or any string). */
  add(item: string): void;
  /** Adds every register of `other` into this one (in place). */
  merge(other: Hll): void;
  /** The estimated number of distinct items. */
  count(): number;
  serialise(): Buffer;
  isSparse(): boolean;
  /** @internal the two representations, for merging */
  readonly state: HllState;
}

interface HllState {
  /** sparse: key = p'-bit index, value = rank at p' (1..40); undefined once dense */
  sparse: Map<number, number> | undefined;
  dense: Uint8Array | undefined;
}

/** The 64-bit hash of an item as two unsigned 32-bit halves. */
function hashOf(item: string): [number, number] {
  const hex = HEX64.test(item) ? item : createHash('sha256').update(item).digest('hex').slice(0, 16);
  return [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8, 16), 16)];
}

/** Leading zeros of the low `bits` bits of x (bits ≤ 32), as if x were `bits` wide. */
function clzWidth(x: number, bits: number): number {
  return Math.clz32(x >>> 0) - (32 - bits);
}

/** Rank in a hash whose low `restHiBits` bits of hi and all 32 bits of lo remain after the index. */
function rank(hi: number, lo: number, restHiBits: number): number {
  const restHi = restHiBits === 0 ? 0 : hi & ((1 << restHiBits) - 1);
  if (restHi !== 0) return clzWidth(restHi, restHiBits) + 1;
  return lo === 0 ? restHiBits + 33 : restHiBits + Math.clz32(lo) + 1;
}

/** A sparse entry (p' index, p' rank) as the dense register it stands for. */
function toDense(sparseIndex: number, sparseRank: number): [number, number] {
  const index = sparseIndex >>> (SP - P);
  const between = sparseIndex & ((1 << (SP - P)) - 1);
  const r = between !== 0 ? clzWidth(between, SP - P) + 1 : SP - P + sparseRank;
  return [index, r];
}

function makeDense(sparse: Map<number, number>): Uint8Array {
  const registers = new Uint8Array(M);
  for (const [i, r] of sparse) {
    const [index, value] = toDense(i, r);
    if (value > registers[index]!) registers[index] = value;
  }
  return registers;
}

// Ertl 2017, Algorithm 6 helpers
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === prev) return z / 3;
  }
}

function estimateDense(registers: Uint8Array): number {
  const histogram = new Array<number>(Q + 2).fill(0);
  for (const r of registers) histogram[r]! += 1;
  let z = M * tau(1 - histogram[Q + 1]! / M);
  for (let k = Q; k >= 1; k--) z = 0.5 * (z + histogram[k]!);
  z += M * sigma(histogram[0]! / M);
  return (M * M) / (2 * Math.LN2) / z;
}

function estimateSparse(sparse: Map<number, number>): number {
  const buckets = 2 ** SP;
  const empty = buckets - sparse.size;
  return buckets * Math.log(buckets / empty);
}

function build(state: HllState): Hll {
  const toDenseIfLarge = () => {
    if (state.sparse !== undefined && state.sparse.size > SPARSE_MAX) {
      state.dense = makeDense(state.sparse);
      state.sparse = undefined;
    }
  };
  const setSparse = (i: number, r: number) => {
    const s = state.sparse!;
    if ((s.get(i) ?? 0) < r) s.set(i, r);
  };
  return {
    state,
    add(item) {
      const [hi, lo] = hashOf(item);
      if (state.sparse !== undefined) {
        setSparse(hi >>> (32 - SP), rank(hi, lo, 32 - SP));
        toDenseIfLarge();
        return;
      }
      const index = hi >>> (32 - P);
      const r = rank(hi, lo, 32 - P);
      if (r > state.dense![index]!) state.dense![index] = r;
    },
    merge(other) {
      const o = other.state;
      if (state.sparse !== undefined && o.sparse !== undefined) {
        for (const [i, r] of o.sparse) setSparse(i, r);
        toDenseIfLarge();
        return;
      }
      if (state.sparse !== undefined) {
        state.dense = makeDense(state.sparse);
        state.sparse = undefined;
      }
      const d = state.dense!;
      const od = o.dense ?? makeDense(o.sparse!);
      for (let i = 0; i < M; i++) if (od[i]! > d[i]!) d[i] = od[i]!;
    },
    count() {
      return state.sparse !== undefined ? estimateSparse(state.sparse) : estimateDense(state.dense!);
    },
    isSparse: () => state.sparse !== undefined,
    serialise() {
      if (state.sparse !== undefined) {
        const keys = [...state.sparse.keys()].sort((a, b) => a - b);
        const buf = Buffer.alloc(HEADER + keys.length * 4);
        buf.writeUInt8(VERSION, 0);
        buf.writeUInt8(P, 1);
        buf.writeUInt8(SPARSE, 2);
        keys.forEach((k, n) => buf.writeUInt32BE(((k << 6) | state.sparse!.get(k)!) >>> 0, HEADER + n * 4));
        return buf;
      }
      // four 6-bit registers in three bytes
      const d = state.dense!;
      const buf = Buffer.alloc(HEADER + (M * 6) / 8);
      buf.writeUInt8(VERSION, 0);
      buf.writeUInt8(P, 1);
      buf.writeUInt8(DENSE, 2);
      for (let i = 0, o = HEADER; i < M; i += 4, o += 3) {
        const v = (d[i]! << 18) | (d[i + 1]! << 12) | (d[i + 2]! << 6) | d[i + 3]!;
        buf[o] = v >>> 16;
        buf[o + 1] = (v >>> 8) & 0xff;
        buf[o + 2] = v & 0xff;
      }
      return buf;
    },
  };
}

export function createHll(): Hll {
  return build({ sparse: new Map(), dense: undefined });
}

/** Reads a serialised sketch; throws on anything that is not one (wrong version, precision or size). */
export function deserialiseHll(buf: Uint8Array): Hll {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < HEADER) throw new Error(`HLL: ${b.length} bytes is shorter than the header`);
  if (b[0] !== VERSION) throw new Error(`HLL: unsupported version ${b[0]}`);
  if (b[1] !== P) throw new Error(`HLL: precision ${b[1]}, expected ${P}`);
  if (b[2] === SPARSE) {
    if ((b.length - HEADER) % 4 !== 0) throw new Error('HLL: sparse body is not a whole number of entries');
    const sparse = new Map<number, number>();
    for (let o = HEADER; o < b.length; o += 4) {
      const e = b.readUInt32BE(o);
      sparse.set(e >>> 6, e & 0x3f);
    }
    return build({ sparse, dense: undefined });
  }
  if (b[2] === DENSE) {
    if (b.length !== HEADER + (M * 6) / 8) throw new Error(`HLL: dense body has ${b.length - HEADER} bytes`);
    const dense = new Uint8Array(M);
    for (let i = 0, o = HEADER; i < M; i += 4, o += 3) {
      const v = (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
      dense[i] = (v >>> 18) & 0x3f;
      dense[i + 1] = (v >>> 12) & 0x3f;
      dense[i + 2] = (v >>> 6) & 0x3f;
      dense[i + 3] = v & 0x3f;
    }
    return build({ sparse: undefined, dense });
  }
  throw new Error(`HLL: unknown encoding ${b[2]}`);
}

/** The union of any number of sketches (a new sketch; the inputs are untouched). */
export function unionHll(sketches: Iterable<Hll>): Hll {
  const out = createHll();
  for (const s of sketches) out.merge(s);
  return out;
}
