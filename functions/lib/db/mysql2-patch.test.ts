import { encodeExecute, loadMysql2Internals, patchMysql2Execute, unpatchMysql2Execute } from './mysql2-patch';

const m = loadMysql2Internals()!;
const CLIENT_QUERY_ATTRIBUTES = 0x08000000;
const UNSIGNED = 32;

/** An Execute packet object as mysql2's command builds it (`new Packets.Execute(...)`). */
function execute(
  values: unknown[],
  o: { hints?: ({ columnType: number; flags: number } | undefined)[]; flags?: number; attributes?: object } = {},
) {
  const Execute = m.Execute as unknown as new (...a: unknown[]) => { toPacket(seq: number): { buffer: Buffer; offset: number } };
  // id, parameters, charsetNumber (utf8mb4_general_ci), timezone, attributes, clientFlags, jsonAsString (MariaDB), definitions
  return new Execute(7, values, 45, 'local', o.attributes, o.flags ?? 0, true, o.hints);
}

function mysql2Bytes(values: unknown[], o: Parameters<typeof execute>[1] = {}): Buffer {
  const ex = execute(values, o);
  const original = Object.getPrototypeOf(ex).toPacket as (this: unknown, seq: number) => { buffer: Buffer; offset: number };
  return Buffer.from(original.call(ex, 1).buffer);
}

function ourBytes(values: unknown[], o: Parameters<typeof execute>[1] = {}): Buffer | undefined {
  const p = encodeExecute(execute(values, o) as never, m.Packet) as { buffer: Buffer; offset: number } | undefined;
  if (p === undefined) return undefined;
  expect(p.offset).toBe(p.buffer.length);
  return Buffer.from(p.buffer);
}

/** The bytes past the 4-byte header (allocUnsafe leaves it as garbage until the connection writes it). */
const body = (b: Buffer | undefined) => b?.subarray(4);

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function randomValue(r: () => number): unknown {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0:
      return null;
    case 1:
      return Math.floor(r() * 1e6);
    case 2:
      return -Math.floor(r() * 1e12);
    case 3:
      return r() * 1000 - 500;
    case 4:
      return r() < 0.5;
    case 5:
      return '';
    case 6:
      return Array.from({ length: 1 + Math.floor(r() * 40) }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join('');
    case 7:
      return 'é/日本/' + 'x'.repeat(Math.floor(r() * 10)) + '😀';
    case 8:
      return 'p'.repeat(60 + Math.floor(r() * 300)); // past SHORT_STRING and past 250 bytes (3-byte length)
    case 9:
      return 2 ** 53 - 1 - Math.floor(r() * 10);
    case 10:
      return [0, -0, 255, 256, -128, -129, 65535, 2 ** 31, -(2 ** 31) - 1, 2 ** 32][Math.floor(r() * 10)];
    default:
      return 'abcdef0123456789abcdef0123456789'.slice(0, Math.floor(r() * 33));
  }
}

const intHints = [
  { columnType: 1, flags: 0 },
  { columnType: 1, flags: UNSIGNED },
  { columnType: 2, flags: 0 },
  { columnType: 2, flags: UNSIGNED },
  { columnType: 3, flags: 0 },
  { columnType: 3, flags: UNSIGNED },
  { columnType: 8, flags: 0 },
  { columnType: 8, flags: UNSIGNED },
  { columnType: 9, flags: 0 }, // INT24: not upgraded by a hint
  { columnType: 6, flags: 128 }, // what MariaDB reports for every placeholder
  { columnType: 253, flags: 0 },
];

describe('encodeExecute writes the bytes mysql2 writes', () => {
  it('on random statements of strings, numbers, booleans and nulls, with and without hints and query attributes', () => {
    const r = rng(20261203);
    for (let round = 0; round < 600; round++) {
      const n = Math.floor(r() * 40);
      const values = Array.from({ length: n }, () => randomValue(r));
      const hints = round % 3 === 0 ? undefined : values.map(() => intHints[Math.floor(r() * intHints.length)]);
      const flags = round % 2 === 0 ? CLIENT_QUERY_ATTRIBUTES : 0;
      const ours = ourBytes(values, { hints, flags });
      expect(ours).toBeDefined();
      expect(body(ours)).toEqual(body(mysql2Bytes(values, { hints, flags })));
    }
  });

  it('on a big multi-row statement (a 1,000-row events INSERT) and on strings past 65,535 bytes', () => {
    const r = rng(7);
    const values = Array.from({ length: 16_000 }, () => randomValue(r));
    // Buffer#equals: jest's toEqual walks big buffers byte by byte for minutes
    expect(body(ourBytes(values))!.equals(body(mysql2Bytes(values))!)).toBe(true);
    const long = ['y'.repeat(70_000), 'ü'.repeat(40_000), 'z'.repeat(17_000_000)]; // 3- and 4-byte, and 9-byte lengths
    expect(body(ourBytes(long))!.equals(body(mysql2Bytes(long))!)).toBe(true);
  });

  it('leaves every other value, query attributes and other encodings to mysql2', () => {
    for (const v of [new Date(0), Buffer.from('ab'), { a: 1 }, [1], 10n, undefined])
      expect(encodeExecute(execute(['a', v]) as never, m.Packet)).toBeUndefined();
    expect(encodeExecute(execute(['a'], { attributes: { trace: 'x' } }) as never, m.Packet)).toBeUndefined();
    const latin1 = Object.assign(execute(['a']), { encoding: 'cp1252' });
    expect(encodeExecute(latin1 as never, m.Packet)).toBeUndefined();
  });
});

describe('patchMysql2Execute', () => {
  it("installs the encoder in front of mysql2's once, and puts mysql2's back", () => {
    const own = m.Execute.prototype.toPacket;
    expect(patchMysql2Execute()).toBe(true);
    const patched = m.Execute.prototype.toPacket;
    expect(patched).not.toBe(own);
    expect(patchMysql2Execute()).toBe(true);
    expect(m.Execute.prototype.toPacket).toBe(patched);
    // a Date hands the whole statement to mysql2's own encoder; the rest is encodeExecute's
    for (const values of [
      ['a', 1, null, true, new Date(0)],
      ['a', 1, null, true],
    ]) {
      const expected = Buffer.from((own.call(execute(values) as never, 1) as unknown as { buffer: Buffer }).buffer);
      expect(body(Buffer.from((execute(values).toPacket(1) as { buffer: Buffer }).buffer))).toEqual(body(expected));
    }
    unpatchMysql2Execute();
    expect(m.Execute.prototype.toPacket).toBe(own);
  });
});
