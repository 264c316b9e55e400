import type { UserId } from '../../types/ids.js';

// A deliberately small, self-contained check of the *historical* user-id grammar (appendices, "Historical
// User IDs"): the auth rules must accept every user id a federating server may legitimately send, so this
// is the lenient grammar, not the strict one used when registering local users.

const MAX_ID_BYTES = 255;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6_BRACKETED = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

/** Whether `name` matches the server-name grammar (hostname with an optional port). */
export function isValidServerName(name: string): boolean {
  let host = name;
  const portMatch = /:(\d{1,5})$/.exec(name);
  if (portMatch && !name.endsWith(']')) {
    host = name.slice(0, portMatch.index);
  }
  if (host.startsWith('[')) return IPV6_BRACKETED.test(host);
  const v4 = IPV4.exec(host);
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255);
  return DNS_NAME.test(host);
}

/** Historical user-id grammar: `@`, a localpart without `:` or NUL, `:`, a server name; at most 255 bytes. */
export function isValidUserId(id: unknown): id is UserId {
  if (typeof id !== 'string' || !id.startsWith('@')) return false;
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) return false;
  const colon = id.indexOf(':');
  if (colon < 0) return false;
  if (id.slice(1, colon).includes('\u0000')) return false;
  return isValidServerName(id.slice(colon + 1));
}

/**
 * The domain of a sigilled identifier (`@user:domain`, `!room:domain`, `$event:domain`): everything after
 * the first colon, because localparts cannot contain one while server names may (ports, IPv6).
 * Undefined when the id has no domain (v12 room ids, v3+ event ids).
 */
export function domainOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon < 0 ? undefined : id.slice(colon + 1);
}
