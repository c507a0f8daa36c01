/**
 * Loads data for an element, like @lit/task: re-runs when its arguments change, cancels the
 * previous request through an AbortSignal, and keeps the last good value while refreshing so a
 * live dashboard does not flash skeletons every few seconds.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type FetchStatus = 'initial' | 'loading' | 'ready' | 'error';

export interface FetchOptions<A extends readonly unknown[], T> {
  /** The arguments; a change (by ===, element-wise) starts a new run before the next render. */
  args: () => A;
  /** `fresh` is true for refreshes: they must bypass the browser cache. */
  task: (args: A, opts: { signal: AbortSignal; fresh: boolean }) => Promise<T>;
  /** Whether these arguments can be fetched at all (e.g. no site yet). */
  enabled?: (args: A) => boolean;
  onComplete?: (value: T) => void;
  onError?: (error: unknown) => void;
}

export class FetchController<A extends readonly unknown[], T> implements ReactiveController {
  status: FetchStatus = 'initial';
  value: T | undefined;
  error: unknown;
  private lastArgs: A | undefined;
  private abort: AbortController | undefined;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: FetchOptions<A, T>,
  ) {
    host.addController(this);
  }

  hostUpdate(): void {
    const args = this.options.args();
    const prev = this.lastArgs;
    if (prev !== undefined && prev.length === args.length && prev.every((v, i) => v === args[i])) return;
    this.lastArgs = args;
    // New arguments mean the old value describes something else: show the loading state.
    this.value = undefined;
    void this.run(false);
  }

  hostDisconnected(): void {
    this.abort?.abort();
    // Reconnecting must fetch again.
    this.lastArgs = undefined;
  }

  /** Runs the task now (also used by refresh timers); resolves when it settles or is superseded. */
  async run(fresh = true): Promise<void> {
    const args = this.lastArgs ?? this.options.args();
    this.abort?.abort();
    if (this.options.enabled && !this.options.enabled(args)) {
      this.status = 'initial';
      this.host.requestUpdate();
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.status = 'loading';
    this.host.requestUpdate();
    try {
      const value = await this.options.task(args, { signal: abort.signal, fresh });
      if (abort.signal.aborted) return;
      this.value = value;
      this.error = undefined;
      this.status = 'ready';
      this.options.onComplete?.(value);
    } catch (e) {
      if (abort.signal.aborted) return;
      this.error = e;
      this.status = 'error';
      this.options.onError?.(e);
    }
    this.host.requestUpdate();
  }
}
