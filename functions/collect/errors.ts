/**
 * What collect answers when it refuses a request: one error class carrying the HTTP status, a code
 * from a closed set and the problems found, mapped to one JSON shape in http.ts. Permanent problems
 * of the request are 4xx; a dependency that is down is 503 (the sender may retry).
 */
import type { Problem } from '../../events';

export const COLLECT_ERROR_CODES = {
  not_an_event: 400,
  invalid_json: 400,
  invalid_encoding: 400,
  not_found: 404,
  method_not_allowed: 405,
  body_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
} as const;

export type CollectErrorCode = keyof typeof COLLECT_ERROR_CODES;

export class CollectError extends Error {
  override readonly name = 'CollectError';
  readonly status: number;
  constructor(
    readonly code: CollectErrorCode,
    message: string,
    readonly problems: readonly Problem[] = [],
  ) {
    super(message);
    this.status = COLLECT_ERROR_CODES[code];
  }
}

export function isCollectError(e: unknown): e is CollectError {
  return e instanceof CollectError;
}
