/**
 * The shape every deployable function has. `functions/<name>/function.ts` exports
 * `createFunction: FunctionFactory`; `functions/index.ts` registers it with the Functions Framework,
 * answers `/healthz` and `/readyz` from it, and calls `close()` on SIGTERM.
 */
import type { Request, Response } from '@google-cloud/functions-framework';

export type Readiness = { ok: true } | { ok: false; reason: string };

export interface WtmFunction {
  /** Handles every request except `GET /healthz` and `GET /readyz`. */
  handle(req: Request, res: Response): Promise<void>;
  /** Readiness: are the function's dependencies answering? */
  ready(): Promise<Readiness>;
  /** Flushes what is buffered and closes connections (SIGTERM, Ctrl-C). */
  close(): Promise<void>;
}

/** Builds a function from the environment (each function validates it in its own config.ts). */
export type FunctionFactory = (env: Readonly<Record<string, string | undefined>>) => Promise<WtmFunction>;
