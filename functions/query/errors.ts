/**
 * The one error shape of the stats API: `{"error": {"code", "message"}}`. Routes throw ApiError for
 * everything the client can fix or must be told; anything else becomes a bare 500/503 whose body never
 * carries a stack, SQL or a parameter value.
 */
export type ApiErrorCode =
    | 'invalid_parameter'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'uri_too_long'
  | 'unavailable'
  | 'timeout'
  | 'internal';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers (Allow, WWW-Authenticate). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** 400 naming the parameter; the value itself is never echoed (it may be hostile or secret). */
export function invalidParameter(name: string, message: string): ApiError {
  return new ApiError(400, 'invalid_parameter', `${name}: ${message}`);
}

export function errorBody(code: ApiErrorCode, message: string): { error: { code: ApiErrorCode; message: string } } {
  return { error: { code, message } };
}
