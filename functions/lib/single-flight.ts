/**
 * Coalesces concurrent calls with the same key into one: while a call for a key runs, later calls for it
 * get the same promise; once it settles the next call runs anew. Nothing is cached past that, so an answer
 * is never older than the calls waiting for it (a dashboard's ten parallel requests share one site lookup).
 */
export function singleFlight<A, V>(key: (arg: A) => string, run: (arg: A) => Promise<V>): (arg: A) => Promise<V> {
  const running = new Map<string, Promise<V>>();
  return (arg) => {
    const k = key(arg);
    const existing = running.get(k);
    if (existing !== undefined) return existing;
    const p = run(arg).finally(() => running.delete(k));
    running.set(k, p);
    return p;
  };
}
