import { createRateLimiter, RateLimitConfigError } from './rate-limit';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('createRateLimiter', () => {
  it('allows a burst, then refuses with the time until the next token', () => {
    const c = clock();
    const rl = createRateLimiter({ ratePerSecond: 2, burst: 3, now: c.now });
    expect([rl.take('a'), rl.take('a'), rl.take('a')].map((d) => d.allowed)).toEqual([true, true, true]);
    expect(rl.take('a')).toEqual({ allowed: false, retryAfterMs: 500 });
    c.advance(499);
    expect(rl.take('a').allowed).toBe(false);
    c.advance(1);
    expect(rl.take('a')).toEqual({ allowed: true, remaining: 0 });
  });

  it('refills at the rate and never above the burst', () => {
    const c = clock();
    const rl = createRateLimiter({ ratePerSecond: 10, burst: 5, now: c.now });
    for (let i = 0; i < 5; i++) rl.take('a');
    c.advance(60_000);
    const got = Array.from({ length: 7 }, () => rl.take('a').allowed);
    expect(got).toEqual([true, true, true, true, true, false, false]);
  });

  it('keeps clients apart', () => {
    const c = clock();
    const rl = createRateLimiter({ ratePerSecond: 1, burst: 1, now: c.now });
    expect(rl.take('a').allowed).toBe(true);
    expect(rl.take('a').allowed).toBe(false);
    expect(rl.take('b').allowed).toBe(true);
  });

  it('a refused request takes no tokens; a cost above the burst never fits', () => {
    const c = clock();
    const rl = createRateLimiter({ ratePerSecond: 1, burst: 2, now: c.now });
    expect(rl.take('a', 3)).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect(rl.take('a', 2)).toEqual({ allowed: true, remaining: 0 });
  });

  it('bounds memory: the least recently used bucket is forgotten first', () => {
    const c = clock();
    const rl = createRateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 2, now: c.now });
    rl.take('a');
    rl.take('b');
    expect(rl.take('a').allowed).toBe(false); // touches a: b is now the oldest
    rl.take('c'); // evicts b
    expect(rl.size()).toBe(2);
    expect(rl.take('a').allowed).toBe(false); // a was kept
    expect(rl.take('b').allowed).toBe(true); // b was forgotten: a full bucket again (evicts c)
    expect(rl.size()).toBe(2);
  });

  it('a clock that goes backwards adds nothing', () => {
    const c = clock(10_000);
    const rl = createRateLimiter({ ratePerSecond: 1, burst: 1, now: c.now });
    rl.take('a');
    c.advance(-5_000);
    expect(rl.take('a').allowed).toBe(false);
    c.advance(1_000);
    expect(rl.take('a').allowed).toBe(true);
  });

  it.each([
    [{ ratePerSecond: 0, burst: 1 }],
    [{ ratePerSecond: Number.NaN, burst: 1 }],
    [{ ratePerSecond: 1, burst: 0.5 }],
    [{ ratePerSecond: 1, burst: 1, maxKeys: 0 }],
  ])('refuses a bad configuration %j', (o) => {
    expect(() => createRateLimiter(o)).toThrow(RateLimitConfigError);
  });
});
