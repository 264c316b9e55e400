/**
 * The one error type that services throw. Route layers never build `{errcode, error}` bodies themselves:
 * the HTTP error funnel renders a MatrixError, and turns anything else into M_UNKNOWN / 500.
 */
export class MatrixError extends Error {
  readonly errcode: string;
  readonly status: number;
  /** Extra top-level fields of the error body, e.g. retry_after_ms, soft_logout, flows. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    errcode: string,
    status: number,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'MatrixError';
    this.errcode = errcode;
    this.status = status;
    this.extra = extra;
    this.headers = headers;
  }

  /** The JSON body the spec defines for errors. */
  toBody(): Record<string, unknown> {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

export function isMatrixError(e: unknown): e is MatrixError {
  return e instanceof MatrixError;
}
