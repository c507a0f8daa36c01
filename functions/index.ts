/**
 * The Functions Framework entry of the one container image: registers an `http` function per
 * target and builds only the one that `FUNCTION_TARGET` (or `--target`) selects, so a query pod
 * never loads kafkajs or connects to Kafka. Two ways to run it:
 *
 *   node dist/functions/index.js                      # the image: the bounded server (lib/http-server.ts)
 *   functions-framework --target=enrich --source=dist/functions/index.js   # the framework's own server
 *
 * Both serve the same registered function through the framework's Express app; only the first bounds
 * bodies, headers, slow connections and request rates before anything is buffered (ARCHITECTURE.md
 * "Bounded requests").
 *
 * The entry itself answers `GET /healthz` (liveness: the process runs) and `GET /readyz`
 * (readiness: the function's dependencies answer) and hands every other request to the function.
 * On SIGTERM/SIGINT it calls `close()` (flushes buffered batches), then exits.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import * as ff from '@google-cloud/functions-framework';
import type { Request, Response } from '@google-cloud/functions-framework';
import { readHttpServerConfig } from './lib/server-config';
import { readinessBody, type FunctionFactory, type Readiness, type WtmFunction } from './lib/function';
import { createBoundedServer, parseTrustedProxies, sendJson, writeJson } from './lib/http-server';
import { createLogger, silentLogger, type Logger } from './lib/logger';
import { createRateLimiter } from './lib/rate-limit';
import { createReadinessLog } from './lib/readiness';

export const TARGETS = ['generate', 'enrich', 'aggregate', 'query', 'collect'] as const;
export type Target = (typeof TARGETS)[number];

/**
 * Dynamic imports: each function's code (and its dependencies) is evaluated only when its target is
 * selected. esbuild keeps these lazy inside the single bundle.
 */
const LOADERS: Record<Target, () => Promise<{ createFunction: FunctionFactory }>> = {
  generate: () => import('./generate/function'),
  enrich: () => import('./enrich/function'),
  aggregate: () => import('./aggregate/function'),
  query: () => import('./query/function'),
  collect: () => import('./collect/function'),
};

/** The longest a shutdown may take: below Kubernetes' default 30 s grace period, so we exit before SIGKILL. */
export const SHUTDOWN_BOUND_MS = 25_000;

export const HEALTH_PATH = '/healthz' as const;
export const READY_PATH = '/readyz' as const;

export function isTarget(value: string | undefined): value is Target {
  return TARGETS.some((t) => t === value);
}

/**
 * The selected target: `FUNCTION_TARGET` first (the image sets it), else the framework's
 * `--target=x` / `--target x` argument, which the framework does not copy into the environment.
 */
export function selectedTarget(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): string | undefined {
  if (env.FUNCTION_TARGET !== undefined && env.FUNCTION_TARGET !== '') return env.FUNCTION_TARGET;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('--target=')) return a.slice('--target='.length);
    if (a === '--target') return argv[i + 1];
  }
  return undefined;
}

type State = { phase: 'starting' } | { phase: 'up'; fn: WtmFunction } | { phase: 'failed'; reason: string } | { phase: 'closing' };

export interface Entry {
  /** The Functions Framework handler for the selected target. */
  handler(req: Request, res: Response): Promise<void>;
  /**
   * The bounded server's way past Express: serves the request through the function's direct route
   * and returns true, or returns false (not up yet, closing, or not a direct request).
   */
  direct(req: IncomingMessage, res: ServerResponse): boolean;
  /** Closes the function (once); resolves when its buffers are flushed. */
  shutdown(): Promise<void>;
}

/** Builds the request router around a function that is still being created. */
export function createEntry(created: Promise<WtmFunction>, logger: Logger = silentLogger): Entry {
  let state: State = { phase: 'starting' };
  const ready = created.then(
    (fn) => {
      if (state.phase === 'starting') state = { phase: 'up', fn };
      return fn;
    },
    (err: unknown) => {
      state = { phase: 'failed', reason: err instanceof Error ? err.message : String(err) };
      throw err;
    },
  );
  // The rejection is reported by the caller of createEntry; keep it from being "unhandled" here.
  ready.catch(() => undefined);
  let closing: Promise<void> | undefined;
  // Each change of readiness is logged once with its reason; the answer names only what is down.
  const checkReady = createReadinessLog(logger, async (): Promise<Readiness> => {
    if (state.phase !== 'up') return { ok: true };
    return state.fn.ready();
  });

  /** `GET /healthz` (the process runs) and `GET /readyz` (the function's dependencies answer). */
  async function probe(path: typeof HEALTH_PATH | typeof READY_PATH, answer: (status: number, body: unknown) => void): Promise<void> {
    if (path === HEALTH_PATH) return answer(200, { status: 'ok' });
    if (state.phase !== 'up') {
      // The failure's text is in the log (main() logs it); the answer says only the phase.
      const phase = state.phase === 'failed' ? 'failed' : state.phase;
      return answer(503, { ready: false, down: [], phase });
    }
    const r = await checkReady();
    answer(r.ok ? 200 : 503, readinessBody(r));
  }

  async function handler(req: Request, res: Response): Promise<void> {
    if (req.method === 'GET' && (req.path === HEALTH_PATH || req.path === READY_PATH)) {
      res.set('Cache-Control', 'no-store');
      await probe(req.path, (status, body) => void res.status(status).json(body));
      return;
    }
    // Requests that arrive while the function is still starting wait for it rather than failing,
    // so Knative's first request after a scale-from-zero is served.
    const fn = await ready.catch(() => undefined);
    if (fn === undefined || state.phase === 'closing') {
      res.status(503).json({ error: { code: 'unavailable', message: 'function is not available' } });
      return;
    }
    await fn.handle(req, res);
  }

  function direct(req: IncomingMessage, res: ServerResponse): boolean {
    // Probes never go through Express: the framework wraps each request it serves in a `domain`, and the
    // first one switches on Node's domain async hook for every async operation of the process after it.
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === HEALTH_PATH || path === READY_PATH)) {
      const answer = (status: number, body: unknown) => {
        if (!res.headersSent) writeJson(res, status, body);
      };
      probe(path, answer).catch((err: unknown) => {
        logger.error({ err }, 'probe failed');
        answer(503, { ready: false, down: [] });
      });
      return true;
    }
    if (state.phase !== 'up') return false;
    const route = state.fn.direct;
    if (route === undefined || !route.accepts(req)) return false;
    route.handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, 'internal', 'internal error');
      else res.destroy();
    });
    return true;
  }

  function shutdown(): Promise<void> {
    closing ??= (async () => {
      const fn = await ready.catch(() => undefined);
      state = { phase: 'closing' };
      if (fn !== undefined) await fn.close();
    })();
    return closing;
  }

  return { handler, direct, shutdown };
}

/** Resolves within `ms` or rejects; the timer does not keep the process alive. */
export function withinBound<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function main(standalone: boolean): void {
  const target = selectedTarget(process.env, process.argv);
  const log = createLogger({ name: `entry:${target ?? 'none'}`, level: process.env.LOG_LEVEL });
  if (!isTarget(target)) {
    // Registering nothing lets the framework print its own "function not found" and exit.
    if (target !== undefined || standalone) log.error({ target, targets: TARGETS }, 'unknown or missing FUNCTION_TARGET');
    if (standalone) process.exit(1);
    return;
  }
  // Bad server settings fail before anything starts, naming the variable.
  const serverConfig = standalone ? readHttpServerConfig(process.env, target) : undefined;

  const created = LOADERS[target]().then((m) => m.createFunction(process.env));
  const entry = createEntry(created, log);
  created.catch((err: unknown) => {
    // A bad configuration or a broken module will not heal by waiting: crash so the pod restarts
    // with back-off and the reason is in the log.
    log.fatal({ err }, 'function failed to start');
    process.exit(1);
  });
  for (const t of TARGETS) {
    // Only the selected target does work; the others are registered so that every target name is
    // known to the framework (a wrong --target still fails loudly in the framework).
    if (t === target) ff.http(t, entry.handler);
    else
      ff.http(
        t,
        (_req: Request, res: Response) => void res.status(404).json({ error: { code: 'not_found', message: `this pod runs ${target}` } }),
      );
  }

  let server: ReturnType<typeof createBoundedServer> | undefined;
  if (serverConfig !== undefined) {
    // The framework's Express app for the registered function, behind our bounds. Probes and the
    // function's direct route (collect's /api/event, which reads its body itself) skip it; it is loaded
    // at the first request that needs it: loading the framework's server loads Node's `domain` module,
    // which slows every EventEmitter of the process (a collect pod never loads it).
    let app: Promise<RequestListener> | undefined;
    const expressApp = (): Promise<RequestListener> =>
      (app ??= import('@google-cloud/functions-framework/testing').then(
        ({ getTestServer }) => getTestServer(target).listeners('request')[0] as RequestListener,
      ));
    const viaExpress: RequestListener = (req, res) => {
      expressApp().then(
        (listener) => listener(req, res),
        (err: unknown) => {
          log.error({ err }, 'the framework could not be loaded');
          if (!res.headersSent) sendJson(res, 500, 'internal', 'internal error');
          else res.destroy();
        },
      );
    };
    server = createBoundedServer(viaExpress, {
      direct: entry.direct,
      limits: serverConfig.limits,
      logger: log,
      trustedProxies: parseTrustedProxies(serverConfig.trustedProxies),
      rateLimit:
        serverConfig.rateLimitPerSecond > 0
          ? createRateLimiter({ ratePerSecond: serverConfig.rateLimitPerSecond, burst: serverConfig.rateLimitBurst })
          : undefined,
    });
    server.listen(serverConfig.port, () => log.info({ port: serverConfig.port, target, limits: serverConfig.limits }, 'listening'));
  }

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down: flushing and closing');
    // Stop taking connections; requests in flight finish while the function flushes.
    server?.close();
    withinBound(entry.shutdown(), SHUTDOWN_BOUND_MS).then(
      () => {
        log.info('closed cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The framework installs its own SIGTERM/SIGINT handlers once it listens; they call
  // process.exit() at once, which would drop aggregate's buffered batch. Remove them as they are added.
  process.on('newListener', (event: string | symbol, listener: unknown) => {
    if ((event === 'SIGTERM' || event === 'SIGINT') && listener !== onSignal) {
      queueMicrotask(() => process.removeListener(event, listener as (...args: unknown[]) => void));
    }
  });
}

// `node dist/functions/index.js` runs the bounded server; under `functions-framework --source` this
// module is require()d by the framework, which then serves it itself.
main(require.main === module);
