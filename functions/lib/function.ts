/**
 * The shape every deployable function has. `functions/<name>/function.ts` exports
 * `createFunction: FunctionFactory`; `functions/index.ts` registers it with the Functions Framework,
 * answers `/healthz` and `/readyz` from it, and calls `close()` on SIGTERM.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from '@google-cloud/functions-framework';

/** What a function depends on; `/readyz` names the ones that are down and nothing more. */
export const DEPENDENCIES = ['database', 'schema', 'kafka', 'sink'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/**
 * `down` is public (the `/readyz` body); `reason` is for the log only (a driver's error text can name
 * hosts, users and versions, so it never goes into an answer).
 */
export type Readiness = { ok: true } | { ok: false; down: readonly Dependency[]; reason: string };

export interface WtmFunction {
  /** Handles every request except `GET /healthz` and `GET /readyz`. */
  handle(req: Request, res: Response): Promise<void>;
  /**
   * Requests the function serves on Node's own request objects, without the framework's Express app:
   * the image's bounded server (lib/http-server.ts) hands them over directly, after its rate limit and
   * declared-length check and before reading the body (the route reads it, within its own bounds). For a hot public path whose handler needs nothing of
   * Express (collect's `/api/event`): the framework's middleware stack costs more than the handler
   * (ARCHITECTURE.md "Bounded requests"). Under `functions-framework` they go through `handle` as usual.
   */
  direct?: DirectRoute;
  /** Readiness: are the function's dependencies answering? */
  ready(): Promise<Readiness>;
  /** Flushes what is buffered and closes connections (SIGTERM, Ctrl-C). */
  close(): Promise<void>;
}

export interface DirectRoute {
  /** Whether this request is one of the direct ones (method and path only; the body is not read yet). */
  accepts(req: IncomingMessage): boolean;
  /** Serves it; never rejects (every failure becomes an answer). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Builds a function from the environment (each function validates it in its own config.ts). */
export type FunctionFactory = (env: Readonly<Record<string, string | undefined>>) => Promise<WtmFunction>;

/** The `/readyz` body: `{"ready":true}` or `{"ready":false,"down":["database"]}`. */
export function readinessBody(r: Readiness): { ready: boolean; down?: readonly Dependency[] } {
  return r.ok ? { ready: true } : { ready: false, down: r.down };
}
