import { createHmac } from 'node:crypto';

// TURN credentials as Synapse hands them out: with a shared secret, the TURN REST API scheme
// (username `<expiry unix seconds>:<user id>`, password base64(HMAC-SHA1(secret, username))) that coturn's
// `use-auth-secret` checks; otherwise a fixed username and password from the config.

export interface TurnSettings {
  turnUris?: readonly string[];
  turnSharedSecret?: string | null;
  turnUsername?: string | null;
  turnPassword?: string | null;
  /** Lifetime of issued credentials; Synapse's default is one hour. */
  turnUserLifetimeMs?: number;
  turnAllowGuests?: boolean;
}

export interface TurnCredentials {
  username: string;
  password: string;
  uris: string[];
  ttl: number;
}

const DEFAULT_LIFETIME_MS = 60 * 60 * 1000;

/** The credentials for `userId`, or null when no TURN server is configured (the route then answers `{}`). */
export function turnCredentials(settings: TurnSettings, userId: string, nowMs: number): TurnCredentials | null {
  const uris = [...(settings.turnUris ?? [])];
  if (uris.length === 0) return null;
  const lifetimeMs = settings.turnUserLifetimeMs ?? DEFAULT_LIFETIME_MS;
  const ttl = Math.floor(lifetimeMs / 1000);
  if (settings.turnSharedSecret) {
    const username = `${Math.floor((nowMs + lifetimeMs) / 1000)}:${userId}`;
    const password = createHmac('sha1', settings.turnSharedSecret).update(username).digest('base64');
    return { username, password, uris, ttl };
  }
  if (settings.turnUsername && settings.turnPassword) {
    return { username: settings.turnUsername, password: settings.turnPassword, uris, ttl };
  }
  return null;
}
