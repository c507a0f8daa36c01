import { singleFlight } from './single-flight';

describe('singleFlight', () => {
  it('runs concurrent calls with one key once, and runs again after it settled', async () => {
    let runs = 0;
    const release: (() => void)[] = [];
    const f = singleFlight(
      (k: string) => k,
      (k: string) => {
        const n = ++runs;
        return new Promise<string>((r) => release.push(() => r(`${k}${n}`)));
      },
    );
    const a = f('x');
    const b = f('x');
    const c = f('y');
    expect(runs).toBe(2);
    release.forEach((r) => r());
    expect(await Promise.all([a, b, c])).toEqual(['x1', 'x1', 'y2']);
    const d = f('x');
    expect(runs).toBe(3);
    release[2]!();
    expect(await d).toBe('x3');
  });

  it('shares a failure with the waiting calls, then tries again', async () => {
    let runs = 0;
    const f = singleFlight(
      () => 'k',
      async () => {
        runs++;
        if (runs === 1) throw new Error('down');
        return runs;
      },
    );
    const results = await Promise.allSettled([f(undefined), f(undefined)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await f(undefined)).toBe(2);
  });
});
