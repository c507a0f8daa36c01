/**
 * Buffering with group commit (DESIGN §9 "Hot path"; Plausible's write_buffer flushes on size, interval
 * and shutdown). One flush runs at a time. While it runs, whatever arrives waits; as soon as it finishes
 * the next flush starts with everything that arrived meanwhile (up to `maxBatch`), so one-event HTTP
 * requests batch themselves under load. From idle, a flush starts once `maxBatch` items are buffered or
 * the oldest has waited `intervalMs` (the Kafka runner's partitions then share a flush).
 */
export interface BufferOptions<T> {
  maxBatch: number;
  intervalMs: number;
  /** Writes one batch; the adds in it resolve or reject with it. */
  flush(items: T[]): Promise<void>;
}

export interface GroupCommitBuffer<T> {
  /** Resolves once these items are flushed; rejects with the flush's error. */
  add(items: readonly T[]): Promise<void>;
  /** Flushes everything buffered now (and waits for a running flush). */
  drain(): Promise<void>;
  /** Items waiting for a flush. */
  size(): number;
}

interface Pending<T> {
  items: readonly T[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function createGroupCommitBuffer<T>(opts: BufferOptions<T>): GroupCommitBuffer<T> {
  let pending: Pending<T>[] = [];
  let buffered = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  /** The next batch: whole adds, at most maxBatch items unless one add alone is larger. */
  function take(): Pending<T>[] {
    let n = 0;
    let size = 0;
    while (n < pending.length && (n === 0 || size + pending[n]!.items.length <= opts.maxBatch)) size += pending[n++]!.items.length;
    const taken = pending.slice(0, n);
    pending = pending.slice(n);
    buffered -= size;
    return taken;
  }

  async function loop(): Promise<void> {
    while (pending.length > 0) {
      const taken = take();
      try {
        await opts.flush(taken.flatMap((p) => p.items));
        for (const p of taken) p.resolve();
      } catch (e) {
        for (const p of taken) p.reject(e);
      }
    }
  }

  function start(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    running ??= loop().finally(() => {
      running = undefined;
      // an add that arrived while the last batch was settling
      if (pending.length > 0) schedule();
    });
    return running;
  }

  function schedule(): void {
    if (running !== undefined) return; // the running loop takes it as soon as the current flush ends
    if (buffered >= opts.maxBatch) void start();
    else timer ??= setTimeout(() => void start(), opts.intervalMs);
  }

  return {
    add(items) {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ items, resolve, reject });
        buffered += items.length;
        schedule();
      });
    },
    async drain() {
      while (pending.length > 0 || running !== undefined) await (pending.length > 0 ? start() : running);
    },
    size: () => buffered,
  };
}
