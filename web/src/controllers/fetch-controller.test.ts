import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { FetchController } from './fetch-controller';

/** A stand-in for a Lit element: runs hostUpdate like an update cycle would. */
function createHost() {
  const controllers: ReactiveController[] = [];
  let updates = 0;
  const host: ReactiveControllerHost = {
    addController: (c) => void controllers.push(c),
    removeController: () => undefined,
    requestUpdate: () => void updates++,
    updateComplete: Promise.resolve(true),
  };
  return {
    host,
    update: () => controllers.forEach((c) => c.hostUpdate?.()),
    disconnect: () => controllers.forEach((c) => c.hostDisconnected?.()),
    updates: () => updates,
  };
}

interface Call {
  args: readonly [string];
  signal: AbortSignal;
  fresh: boolean;
  resolve(v: string): void;
  reject(e: unknown): void;
}

function setup() {
  const h = createHost();
  let arg = 'a';
  const calls: Call[] = [];
  const c = new FetchController(h.host, {
    args: () => [arg] as const,
    enabled: ([a]) => a !== '',
    task: (args, { signal, fresh }) => new Promise<string>((resolve, reject) => calls.push({ args, signal, fresh, resolve, reject })),
  });
  return { h, c, calls, setArg: (v: string) => (arg = v) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('FetchController', () => {
  it('loads on the first update and not again while the arguments stay the same', async () => {
    const { h, c, calls } = setup();
    h.update();
    h.update();
    expect(calls).toHaveLength(1);
    expect(c.status).toBe('loading');
    calls[0]!.resolve('A');
    await settle();
    expect(c.status).toBe('ready');
    expect(c.value).toBe('A');
  });

  it('aborts the request that new arguments replace and ignores its late answer', async () => {
    const { h, c, calls, setArg } = setup();
    h.update();
    setArg('b');
    h.update();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(c.value).toBeUndefined();
    calls[1]!.resolve('B');
    calls[0]!.resolve('A');
    await settle();
    expect(c.value).toBe('B');
  });

  it('keeps the last value during a refresh, which asks for fresh data', async () => {
    const { h, c, calls } = setup();
    h.update();
    expect(calls[0]!.fresh).toBe(false);
    calls[0]!.resolve('A');
    await settle();
    void c.run();
    expect(calls[1]!.fresh).toBe(true);
    expect(c.status).toBe('loading');
    expect(c.value).toBe('A');
    calls[1]!.reject(new Error('down'));
    await settle();
    expect(c.status).toBe('error');
    expect(c.value).toBe('A');
  });

  it('does not load while disabled and aborts on disconnect', () => {
    const { h, c, calls, setArg } = setup();
    setArg('');
    h.update();
    expect(calls).toHaveLength(0);
    expect(c.status).toBe('initial');
    setArg('x');
    h.update();
    h.disconnect();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(h.updates()).toBeGreaterThan(0);
  });
});
