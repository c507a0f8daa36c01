import { boundedChunks, preparedRunOf } from './prepared';
import type { Transaction } from 'sequelize';

describe('boundedChunks', () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('keeps every item once, in order, in parts of the size and then powers of two', () => {
    for (const n of [0, 1, 2, 3, 999, 1000, 1001, 2999, 12_345]) {
      const parts = boundedChunks(items(n), 1000);
      expect(parts.flat()).toEqual(items(n));
      const sizes = parts.map((p) => p.length);
      expect(sizes.every((s, i) => s === 1000 || (Number.isInteger(Math.log2(s)) && (i === 0 || s < sizes[i - 1]!)))).toBe(true);
    }
  });

  it('uses at most 11 distinct row counts whatever the length (one prepared statement each)', () => {
    const counts = new Set<number>();
    for (let n = 0; n <= 3000; n++) for (const p of boundedChunks(items(n), 1000)) counts.add(p.length);
    expect([...counts].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]);
    const small = new Set<number>();
    for (let n = 0; n <= 600; n++) for (const p of boundedChunks(items(n), 200)) small.add(p.length);
    expect(Math.max(...small)).toBe(200);
    expect(small.size).toBe(9);
  });
});

describe('preparedRunOf', () => {
  it('binds on the transaction connection, undefined values as NULL, and rejects with its error', async () => {
    const calls: [string, unknown[]][] = [];
    const connection = {
      execute(sql: string, values: unknown[], cb: (err: Error | null, r: unknown) => void) {
        calls.push([sql, values]);
        cb(sql.includes('bad') ? Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY' }) : null, {});
      },
    };
    const run = preparedRunOf({ connection } as unknown as Transaction, 'mysql')!;
    await run('INSERT 1', [1, undefined, 'x']);
    expect(calls).toEqual([['INSERT 1', [1, null, 'x']]]);
    await expect(run('bad', [])).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
  });

  it('is undefined on SQLite and without a connection', () => {
    expect(preparedRunOf({ connection: { execute: () => undefined } } as unknown as Transaction, 'sqlite')).toBeUndefined();
    expect(preparedRunOf({} as unknown as Transaction, 'mysql')).toBeUndefined();
  });
});
