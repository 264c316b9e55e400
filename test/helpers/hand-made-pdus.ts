import type { Pdu, StateKey } from '../../src/types/pdu.js';

// Hand-made PDUs for storage tests: shaped like events, never signed or hashed, because the stores under test
// take what the room writer hands them and check nothing.

/** The state map key of (type, state_key). */
export const sk = (type: string, key: string): StateKey => `${type}\u0000${key}`;

/** A PDU of `roomId` sent by alice with the given prev events; `extra` overrides any field. */
export function handMadePdu(roomId: string, type: string, prev: string[], extra: Partial<Pdu> = {}): Pdu {
  return {
    room_id: roomId,
    sender: '@alice:test.example.org',
    type,
    content: {},
    origin_server_ts: 1000,
    prev_events: prev,
    auth_events: [],
    depth: 1,
    hashes: { sha256: 'x' },
    signatures: {},
    ...extra,
  };
}
