// Public surface of the authorisation rules (pure: no I/O). check-event-auth.ts explains how the rules
// split between the state-map check and the checks on an event's own auth_events.
export type { AuthResult } from './result.js';
export { checkEventAuth } from './check-event-auth.js';
export { authStateKeysFor } from './auth-state-keys.js';
export { checkAuthEvents, authStateFromAuthEvents, authEventIds, type AuthEventsOptions } from './auth-events.js';
export {
  CREATOR_POWER_LEVEL,
  parsePowerLevelValue,
  powerLevelsView,
  powerLevelsFromState,
  type PowerLevels,
} from './power-levels.js';
export { roomCreators, firstJoinUser } from './creators.js';
export { thirdPartyInvitePublicKeys, verifySignedThirdPartyInvite } from './third-party-invite.js';
