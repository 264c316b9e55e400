import { MatrixError } from '../../errors/index.js';
import { FederationRequestError } from '../outbound/index.js';

// How a failed make_* / send_* round through other servers reaches the client (joins and knocks on rooms
// this server is not in).

/** The client-facing error for a failed make_* / send_* round: the remote refusal passed through, else a 502. */
export function remoteMembershipError(last: unknown, what: string): MatrixError {
  if (last instanceof FederationRequestError) {
    const code = typeof last.body?.errcode === 'string' ? last.body.errcode : 'M_UNKNOWN';
    const msg = typeof last.body?.error === 'string' ? last.body.error : last.message;
    if (last.status === 403) return new MatrixError(code, 403, msg);
    if (last.status === 404) return new MatrixError('M_NOT_FOUND', 404, msg);
    // The spec asks clients to be told why (M_UNABLE_TO_AUTHORISE_JOIN, M_INCOMPATIBLE_ROOM_VERSION, ...);
    // parameter errors of the federation request are ours, not the client's, so they stay a 502.
    if (last.status === 400 && code !== 'M_MISSING_PARAM' && code !== 'M_INVALID_PARAM') return new MatrixError(code, 400, msg);
    return new MatrixError('M_UNKNOWN', 502, `Failed to ${what}: ${msg}`);
  }
  if (last instanceof MatrixError) return last;
  return new MatrixError('M_UNKNOWN', 502, `Failed to ${what}`);
}
