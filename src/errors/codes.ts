import { MatrixError } from './matrix-error.js';

// Constructors for the errors that recur, so status codes stay consistent across the code base.
export const forbidden = (msg = 'Forbidden') => new MatrixError('M_FORBIDDEN', 403, msg);
export const notFound = (msg = 'Not found') => new MatrixError('M_NOT_FOUND', 404, msg);
export const unrecognized = (msg = 'Unrecognized request') => new MatrixError('M_UNRECOGNIZED', 404, msg);
export const methodNotAllowed = (msg = 'Unrecognized request: method not allowed') =>
  new MatrixError('M_UNRECOGNIZED', 405, msg);
export const badJson = (msg: string) => new MatrixError('M_BAD_JSON', 400, msg);
export const notJson = (msg = 'Content not JSON.') => new MatrixError('M_NOT_JSON', 400, msg);
export const invalidParam = (msg: string) => new MatrixError('M_INVALID_PARAM', 400, msg);
export const missingParam = (msg: string) => new MatrixError('M_MISSING_PARAM', 400, msg);
export const tooLarge = (msg = 'Request too large') => new MatrixError('M_TOO_LARGE', 413, msg);
export const missingToken = (msg = 'Missing access token') => new MatrixError('M_MISSING_TOKEN', 401, msg);
export const unknownToken = (msg = 'Unrecognised access token', softLogout = false) =>
  new MatrixError('M_UNKNOWN_TOKEN', 401, msg, { soft_logout: softLogout });
export const unauthorized = (msg = 'Unauthorized') => new MatrixError('M_UNAUTHORIZED', 401, msg);
export const limitExceeded = (retryAfterMs: number, msg = 'Too many requests') =>
  new MatrixError(
    'M_LIMIT_EXCEEDED',
    429,
    msg,
    { retry_after_ms: retryAfterMs },
    { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) },
  );
export const unknown = (msg = 'Internal server error') => new MatrixError('M_UNKNOWN', 500, msg);
