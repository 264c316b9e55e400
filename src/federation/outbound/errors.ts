// Why an outbound federation request failed. Callers decide what it means for them: the transaction
// queue backs off, the keyring tries a notary, a client-facing route turns it into a MatrixError.

export type FederationErrorKind =
  /** The destination resolved only to addresses the IP policy refuses (SSRF guard). */
  | 'blocked'
  /** federation_domain_whitelist does not list the destination. */
  | 'not-whitelisted'
  /** Server discovery found nowhere to connect. */
  | 'unresolvable'
  /** Connection refused, reset, TLS failure, DNS failure. */
  | 'network'
  | 'timeout'
  /** The body was larger than the request allowed. */
  | 'too-large'
  /** The peer answered with a non-2xx status. */
  | 'http'
  /** The peer answered 2xx but not with a JSON object. */
  | 'bad-response';

export class FederationRequestError extends Error {
  constructor(
    readonly kind: FederationErrorKind,
    readonly destination: string,
    message: string,
    /** HTTP status for kind 'http'. */
    readonly status?: number,
    /** The peer's JSON error body, when it sent one (errcode, error, ...). */
    readonly body?: Record<string, unknown>,
  ) {
    super(`${destination}: ${message}`);
    this.name = 'FederationRequestError';
  }

  /** The peer's Matrix errcode, when it answered with one. */
  get errcode(): string | undefined {
    const code = this.body?.errcode;
    return typeof code === 'string' ? code : undefined;
  }

  /** Worth retrying later (the peer or the path to it may recover); 4xx answers other than 429 are not. */
  get transient(): boolean {
    if (this.kind === 'http') return this.status === undefined || this.status >= 500 || this.status === 429;
    return this.kind === 'network' || this.kind === 'timeout' || this.kind === 'unresolvable';
  }
}
