import { parseServerName } from './identifiers.js';
import { compileGlob, matchGlob, prepareText, type CompiledGlob } from './push/glob.js';

// Server access control lists (m.room.server_acl; client-server API "Server ACLs", server-server API
// "Server Access Control Lists"). Applied in the spec's order: no ACL allows; an IP literal is denied when
// allow_ip_literals is false; a deny match denies; an allow match allows; anything else is denied. Patterns
// are case-insensitive globs (`*`, `?`) matched against the server name without its port. The glob matcher
// is the push rules' one, which never backtracks: ACL patterns come from any room admin.

export interface ServerAcl {
  allowIpLiterals: boolean;
  allow: readonly CompiledGlob[];
  deny: readonly CompiledGlob[];
}

function globs(value: unknown): CompiledGlob[] {
  // Missing or malformed lists count as empty; entries that are not strings are ignored.
  if (!Array.isArray(value)) return [];
  return value.filter((p): p is string => typeof p === 'string').map((p) => compileGlob(p));
}

/** The ACL an m.room.server_acl content describes (defaults per the event's schema). */
export function parseServerAcl(content: Readonly<Record<string, unknown>>): ServerAcl {
  return {
    // Anything but an explicit boolean false leaves IP literals allowed ("defaults to true if ... not a boolean").
    allowIpLiterals: content.allow_ip_literals !== false,
    allow: globs(content.allow),
    deny: globs(content.deny),
  };
}

/** The host part of a server name (port dropped; an IPv6 literal keeps its brackets) and whether it is an IP literal. */
export function aclHostOf(serverName: string): { host: string; ipLiteral: boolean } {
  const parsed = parseServerName(serverName);
  if (parsed !== null) return { host: parsed.host, ipLiteral: parsed.kind !== 'dns' };
  // Not a valid server name (e.g. from a malformed sender): compare it whole, never as an IP literal.
  return { host: serverName, ipLiteral: false };
}

/** Whether `serverName` may take part in a room with this ACL; `undefined` (no ACL in the room) allows everyone. */
export function serverAclAllows(acl: ServerAcl | undefined, serverName: string): boolean {
  if (acl === undefined) return true;
  const { host, ipLiteral } = aclHostOf(serverName);
  if (ipLiteral && !acl.allowIpLiterals) return false;
  const text = prepareText(host);
  if (acl.deny.some((g) => matchGlob(g, text, 'whole'))) return false;
  return acl.allow.some((g) => matchGlob(g, text, 'whole'));
}
