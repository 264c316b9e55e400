import type { RateLimitConfig } from './types.js';

// Synapse's rate limiters we honour, by their dotted config key (without the `rc_` prefix), with Synapse's
// defaults so an operator's tuning carries over unchanged. A limiter missing here is reported as ignored rather
// than guessed at; rc_federation, whose shape differs, is read separately (config/build.ts).
export const RATE_LIMIT_DEFAULTS: Readonly<Record<string, RateLimitConfig>> = {
  message: { perSecond: 0.2, burstCount: 10 },
  registration: { perSecond: 0.17, burstCount: 3 },
  registration_token_validity: { perSecond: 0.1, burstCount: 5 },
  'login.address': { perSecond: 0.003, burstCount: 5 },
  'login.account': { perSecond: 0.003, burstCount: 5 },
  'login.failed_attempts': { perSecond: 0.17, burstCount: 3 },
  'joins.local': { perSecond: 0.1, burstCount: 10 },
  'joins.remote': { perSecond: 0.01, burstCount: 10 },
  joins_per_room: { perSecond: 1, burstCount: 10 },
  'invites.per_room': { perSecond: 0.3, burstCount: 10 },
  'invites.per_user': { perSecond: 0.003, burstCount: 5 },
  'invites.per_issuer': { perSecond: 0.3, burstCount: 10 },
  third_party_invite: { perSecond: 0.0025, burstCount: 5 },
  '3pid_validation': { perSecond: 0.003, burstCount: 5 },
  key_requests: { perSecond: 20, burstCount: 100 },
  media_create: { perSecond: 10, burstCount: 50 },
  'presence.per_user': { perSecond: 0.1, burstCount: 1 },
  delayed_event_mgmt: { perSecond: 1, burstCount: 5 },
  room_creation: { perSecond: 0.016, burstCount: 10 },
};

/**
 * Limiters that exist only when configured (Synapse applies no admin-redaction limit unless asked).
 * Their fallback values fill whichever of per_second / burst_count the operator left out.
 */
export const OPTIONAL_RATE_LIMITS: Readonly<Record<string, RateLimitConfig>> = {
  admin_redaction: { perSecond: 0.17, burstCount: 3 },
};

/** Top-level `rc_*` keys and, for grouped limiters, the sub-keys they hold. */
export function rateLimitGroups(): Map<string, string[] | null> {
  const groups = new Map<string, string[] | null>();
  for (const name of [...Object.keys(RATE_LIMIT_DEFAULTS), ...Object.keys(OPTIONAL_RATE_LIMITS)]) {
    const [top, sub] = name.split('.') as [string, string | undefined];
    if (sub === undefined) groups.set(top, null);
    else groups.set(top, [...(groups.get(top) ?? []), sub]);
  }
  return groups;
}
