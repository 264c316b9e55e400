import type { RoomVersion } from '../room-versions.js';
import type { Pdu, RoomEvent, StateKey } from '../../types/pdu.js';

export type AuthResult = { allowed: true } | { allowed: false; reason: string };

/** The two auth-rule entry points state resolution needs. Passed in (rather than imported deep inside the
 *  algorithm) so each piece can be exercised on its own; index.ts wires the real rules from ../auth. */
export interface AuthRules {
  checkEventAuth(version: RoomVersion, event: RoomEvent, authState: ReadonlyMap<StateKey, RoomEvent>): AuthResult;
  authStateKeysFor(version: RoomVersion, pdu: Pick<Pdu, 'type' | 'sender' | 'state_key' | 'content'>): StateKey[];
}
