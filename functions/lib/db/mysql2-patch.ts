/**
 * A faster COM_STMT_EXECUTE encoder for mysql2 (3.24), applied once when prepared.ts is loaded.
 *
 * mysql2's `Execute#toPacket` builds one descriptor object per bound value (`toParameter`: value, type,
 * length, writer, …), asks `Buffer.byteLength` for every string and writes it with `utf8Write`: two
 * calls into C++ per string. The aggregate's flush binds ~27 values per event (16 for its `events`
 * row), and this encoding was 10–13 µs of the ~90 µs of Node CPU per event, measured in place
 * (BENCHMARKS.md "A lighter statement encoder"), its descriptors the largest single allocation
 * (2.2 of 16.5 KB per event).
 *
 * `encodeExecute` writes the same bytes for the values the product binds (strings, numbers, booleans,
 * null) in two passes over the values with no object per value (a BigInt only for an 8-byte integer
 * hint): short ASCII strings are measured and copied in JavaScript, others go through
 * `Buffer.byteLength`/`utf8Write` as before.
 * Anything else it answers `undefined` for, and mysql2's own encoder runs: query attributes, other
 * value types (Date, Buffer, objects, bigint, typed parameters; `undefined`, which mysql2 rejects), a
 * connection encoding other than utf8. Integer hints from the server's parameter definitions (a server
 * that knows a placeholder holds an integer reports its type, as mysql2's own comment says of MySQL;
 * MariaDB 10.11 here reports none) are followed as mysql2 follows them: an integer that fits travels as
 * that integer type, anything else as before.
 * `mysql2-patch.test.ts` compares the bytes with mysql2's own encoder on random statements. If mysql2's
 * internals move, the patch is not installed and mysql2's encoder runs.
 */
import { createRequire } from 'node:module';

/** mysql2's field type codes used here (`lib/constants/types.js`). */
const T = { TINY: 1, SHORT: 2, LONG: 3, DOUBLE: 5, NULL: 6, LONGLONG: 8, VAR_STRING: 253 } as const;
/** Width in bytes of the integer types a hint may upgrade a number to (mysql2's `HINT_UPGRADABLE`). */
const HINT_BYTES: Readonly<Record<number, number>> = { [T.TINY]: 1, [T.SHORT]: 2, [T.LONG]: 4, [T.LONGLONG]: 8 };
const UNSIGNED_FLAG = 32; // FieldFlags.UNSIGNED
const COM_STMT_EXECUTE = 0x17;
const CLIENT_QUERY_ATTRIBUTES = 0x08000000;
const PARAMETER_COUNT_AVAILABLE = 8;
/** Strings up to this many UTF-16 units are scanned and copied in JavaScript (past it, the native calls win). */
const SHORT_STRING = 64;

// kinds of a value, one byte each while the packet is built
const K_NULL = 0;
const K_STRING_ASCII = 1;
const K_STRING_NATIVE = 2;
const K_DOUBLE = 3;
const K_TINY_BOOL = 4;
const K_INT = 5;

interface ParameterDefinition {
  columnType: number;
  flags: number;
}

interface PacketLike {
  offset: number;
}

type PacketClass = new (id: number, buffer: Buffer, start: number, end: number) => PacketLike;

interface ExecuteLike {
  id: number;
  parameters: readonly unknown[] | undefined;
  encoding: string;
  attributes: Readonly<Record<string, unknown>> | undefined;
  clientFlags: number;
  parameterDefinitions: readonly (ParameterDefinition | undefined)[];
}

/**
 * A length-coded number's size and bytes, as mysql2's `Packet.lengthCodedNumberLength` and
 * `Packet#writeLengthCodedNumber` have them, straight on the buffer: through a Packet's offset the
 * encoding cost 1.5–2.7 µs more per aggregated event (in-place timer, 2 pairs).
 */
const lengthCodedLength = (n: number) => (n < 0xfb ? 1 : n < 0xffff ? 3 : n < 0xffffff ? 4 : 9);

function writeLengthCoded(buf: Buffer, o: number, n: number): number {
  if (n < 0xfb) {
    buf[o] = n;
    return o + 1;
  }
  if (n < 0xffff) {
    buf[o] = 0xfc;
    buf.writeUInt16LE(n, o + 1);
    return o + 3;
  }
  if (n < 0xffffff) {
    buf[o] = 0xfd;
    buf[o + 1] = n & 0xff;
    buf.writeUInt16LE(n >> 8, o + 2);
    return o + 4;
  }
  buf[o] = 0xfe;
  buf.writeUInt32LE(n >>> 0, o + 1);
  buf.writeUInt32LE(Math.floor(n / 0x100000000), o + 5);
  return o + 9;
}

/** The integer width a hint upgrades `value` to (mysql2's `integerHint`), or 0 when it stays as it is. */
function hintedWidth(value: number, hint: ParameterDefinition | undefined): number {
  if (hint === undefined) return 0;
  const bytes = HINT_BYTES[hint.columnType];
  if (bytes === undefined || !Number.isSafeInteger(value)) return 0;
  if ((hint.flags & UNSIGNED_FLAG) !== 0) {
    if (value < 0) return 0;
    return bytes === 8 || value < 2 ** (bytes * 8) ? bytes : 0;
  }
  if (bytes === 8) return 8;
  const half = 2 ** (bytes * 8 - 1);
  return value >= -half && value < half ? bytes : 0;
}

/** Encodes `ex` as mysql2's Execute would, or answers undefined where only mysql2's own encoder will do. */
export function encodeExecute(ex: ExecuteLike, Packet: PacketClass): PacketLike | undefined {
  if (ex.encoding !== 'utf8' && ex.encoding !== 'utf-8') return undefined;
  const attributes = ex.attributes;
  if (attributes !== undefined && attributes !== null && Object.keys(attributes).length > 0) return undefined;
  const values = ex.parameters ?? [];
  const n = values.length;
  const hints = ex.parameterDefinitions;
  const useQueryAttributes = (ex.clientFlags & CLIENT_QUERY_ATTRIBUTES) !== 0;

  // pass 1: each value's kind and byte length
  const kinds = new Uint8Array(n);
  const sizes = new Int32Array(n);
  let length = 14 + (useQueryAttributes ? lengthCodedLength(n) : 0);
  if (n > 0) length += ((n + 7) >> 3) + 1 + n * 2 + (useQueryAttributes ? n : 0);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      kinds[i] = K_NULL;
      continue;
    }
    const hint = hints[i];
    if (typeof v === 'string') {
      let size = -1;
      if (v.length <= SHORT_STRING) {
        size = v.length;
        for (let j = 0; j < v.length; j++)
          if (v.charCodeAt(j) >= 0x80) {
            size = -1;
            break;
          }
      }
      if (size >= 0) kinds[i] = K_STRING_ASCII;
      else {
        kinds[i] = K_STRING_NATIVE;
        size = Buffer.byteLength(v, 'utf8');
      }
      sizes[i] = size;
      length += lengthCodedLength(size) + size;
    } else if (typeof v === 'number') {
      const width = hintedWidth(v, hint);
      if (width > 0) {
        kinds[i] = K_INT;
        sizes[i] = width;
        length += width;
      } else {
        kinds[i] = K_DOUBLE;
        length += 8;
      }
    } else if (typeof v === 'boolean') {
      const width = hint === undefined ? 0 : (HINT_BYTES[hint.columnType] ?? 0);
      kinds[i] = width > 0 ? K_INT : K_TINY_BOOL;
      sizes[i] = width;
      length += width > 0 ? width : 1;
    } else return undefined;
  }

  // pass 2: the bytes, laid out as mysql2's Execute#toPacket lays them out
  const buf = Buffer.allocUnsafe(length);
  let o = 4; // the packet header is written by the connection
  buf[o++] = COM_STMT_EXECUTE;
  buf.writeUInt32LE(ex.id, o);
  o += 4;
  buf[o++] = useQueryAttributes ? PARAMETER_COUNT_AVAILABLE : 0;
  buf.writeUInt32LE(1, o); // iteration count
  o += 4;
  if (useQueryAttributes) o = writeLengthCoded(buf, o, n);
  if (n > 0) {
    for (let i = 0; i < n; i += 8) {
      let bitmap = 0;
      for (let b = 0; b < 8 && i + b < n; b++) if (kinds[i + b] === K_NULL) bitmap |= 1 << b;
      buf[o++] = bitmap;
    }
    buf[o++] = 1; // new-params-bound flag
    for (let i = 0; i < n; i++) {
      const kind = kinds[i];
      const hint = hints[i];
      let type: number = T.VAR_STRING;
      let unsigned = 0;
      if (kind === K_NULL) type = T.NULL;
      else if (kind === K_DOUBLE) type = T.DOUBLE;
      else if (kind === K_TINY_BOOL) type = T.TINY;
      else if (kind === K_INT) {
        type = hint!.columnType;
        unsigned = (hint!.flags & UNSIGNED_FLAG) !== 0 ? 0x80 : 0;
      }
      buf[o++] = type;
      buf[o++] = unsigned;
      if (useQueryAttributes) buf[o++] = 0; // a bind parameter's empty name
    }
    for (let i = 0; i < n; i++) {
      const kind = kinds[i];
      if (kind === K_NULL) continue;
      const v = values[i];
      if (kind === K_STRING_ASCII) {
        const s = v as string;
        const size = sizes[i]!;
        o = writeLengthCoded(buf, o, size);
        for (let j = 0; j < size; j++) buf[o + j] = s.charCodeAt(j);
        o += size;
      } else if (kind === K_STRING_NATIVE) {
        const size = sizes[i]!;
        o = writeLengthCoded(buf, o, size);
        buf.write(v as string, o, size, 'utf8');
        o += size;
      } else if (kind === K_DOUBLE) {
        buf.writeDoubleLE(v as number, o);
        o += 8;
      } else if (kind === K_TINY_BOOL) {
        buf[o++] = (v as boolean) ? 1 : 0;
      } else {
        const width = sizes[i]!;
        const x = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
        if (width === 8) buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(x)), o);
        else buf.writeUIntLE(x < 0 ? x + 2 ** (width * 8) : x, o, width);
        o += width;
      }
    }
  }
  if (o !== length) throw new Error(`mysql2-patch: COM_STMT_EXECUTE serialized ${o - 4} bytes, expected ${length - 4}`);
  const packet = new Packet(0, buf, 0, length);
  packet.offset = length;
  return packet;
}

interface Mysql2Internals {
  Execute: { prototype: { toPacket: (this: ExecuteLike, ...a: unknown[]) => PacketLike } };
  Packet: PacketClass;
}

/** mysql2's Execute packet and Packet classes (not exported by the package: loaded by path from its own entry). */
export function loadMysql2Internals(): Mysql2Internals | undefined {
  try {
    const load = createRequire(require.resolve('mysql2'));
    const Execute = load('./lib/packets/execute.js') as Mysql2Internals['Execute'];
    const Packet = load('./lib/packets/packet.js') as PacketClass;
    if (typeof Execute?.prototype?.toPacket !== 'function' || typeof Packet !== 'function') return undefined;
    return { Execute, Packet };
  } catch {
    return undefined;
  }
}

/** While the patch is installed: the prototype it is on, and mysql2's own encoder. */
let installed: { proto: Mysql2Internals['Execute']['prototype']; own: Mysql2Internals['Execute']['prototype']['toPacket'] } | undefined;

/** Puts `encodeExecute` in front of mysql2's own encoder; true when mysql2's internals were found. */
export function patchMysql2Execute(): boolean {
  if (installed !== undefined) return true;
  const m = loadMysql2Internals();
  if (m === undefined) return false;
  const proto = m.Execute.prototype;
  const own = proto.toPacket;
  proto.toPacket = function toPacket(this: ExecuteLike, ...args: unknown[]) {
    return encodeExecute(this, m.Packet) ?? own.apply(this, args);
  };
  installed = { proto, own };
  return true;
}

/** Puts mysql2's own encoder back (bench A/B runs: `BENCH_MYSQL2_ENCODER=mysql2`). */
export function unpatchMysql2Execute(): void {
  if (installed === undefined) return;
  installed.proto.toPacket = installed.own;
  installed = undefined;
}
