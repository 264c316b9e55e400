import type { RoomVersion } from './room-versions.js';

// Identifier grammar (appendices: "Identifier Grammar"). Parsers return null for anything malformed so
// callers at trust boundaries decide whether that is M_INVALID_PARAM, a dropped PDU or a 400.
// Two user-id grammars exist: the strict one for ids we allocate, and the historical one that remote
// events may still carry and that servers MUST accept.

/** Users, rooms, events and aliases: the whole id, sigil and domain included, in UTF-8 bytes. */
export const MAX_ID_BYTES = 255;
/** Event `type` and `state_key` limit (client-server API, "Size limits"). */
export const MAX_TYPE_BYTES = 255;
export const MAX_STATE_KEY_BYTES = 255;

export type HostKind = 'dns' | 'ipv4' | 'ipv6';

export interface ParsedServerName {
  /** The host as written (IPv6 literals keep their brackets). */
  host: string;
  kind: HostKind;
  port?: number;
}

export interface ParsedUserId {
  localpart: string;
  serverName: string;
  /** True when the localpart only uses the current character set (a-z, 0-9, `._=-/+`). */
  compliant: boolean;
}

export interface ParsedRoomId {
  opaque: string;
  /** Absent for room versions that derive the id from the create event (v12). */
  serverName?: string;
}

export interface ParsedRoomAlias {
  localpart: string;
  serverName: string;
}

export type EventIdFormatKind = 'v1' | 'v3' | 'v4';

export interface ParsedEventId {
  format: EventIdFormatKind;
  opaque: string;
  /** Only v1/v2 event ids carry a domain. */
  serverName?: string;
}

export interface ParsedKeyId {
  algorithm: string;
  version: string;
}

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

// ---------------------------------------------------------------------------------------------------
// Server names

// Labels of letters, digits and hyphens separated by single dots, as hostnames conventionally are.
const DNS_NAME = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const PORT = /^\d{1,5}$/;

function isIPv4(host: string): boolean {
  const m = DOTTED_QUAD.exec(host);
  if (!m) return false;
  return m.slice(1).every((octet) => Number(octet) <= 255);
}

function isHexGroup(g: string): boolean {
  return /^[0-9A-Fa-f]{1,4}$/.test(g);
}

/** RFC 3513 section 2.2 text forms: full, `::`-compressed, and with a trailing dotted-quad IPv4 part. */
export function isIPv6(addr: string): boolean {
  if (addr.length < 2 || addr.length > 45) return false;
  let text = addr;
  let groupsForV4 = 0;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.includes('.', lastColon)) {
    if (!isIPv4(text.slice(lastColon + 1))) return false;
    // Keep the colon: the remainder must still end in a group boundary ("::" or "x:").
    text = text.slice(0, lastColon + 1) + '0';
    groupsForV4 = 1;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const parse = (part: string): string[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    return groups.every(isHexGroup) ? groups : null;
  };
  const head = parse(halves[0] ?? '');
  if (!head) return false;
  if (halves.length === 1) return head.length + groupsForV4 === 8;
  const tail = parse(halves[1] ?? '');
  if (!tail) return false;
  // "::" stands for at least one zero group.
  return head.length + tail.length + groupsForV4 <= 7;
}

export function parseServerName(name: string): ParsedServerName | null {
  let host: string;
  let portText: string | undefined;
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    if (close < 0) return null;
    host = name.slice(0, close + 1);
    const rest = name.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
    if (!isIPv6(host.slice(1, -1))) return null;
  } else {
    const colon = name.lastIndexOf(':');
    if (colon >= 0) {
      host = name.slice(0, colon);
      portText = name.slice(colon + 1);
    } else {
      host = name;
    }
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!PORT.test(portText)) return null;
    port = Number(portText);
  }
  if (host.startsWith('[')) return port === undefined ? { host, kind: 'ipv6' } : { host, kind: 'ipv6', port };
  let kind: HostKind;
  if (DOTTED_QUAD.test(host)) {
    // An all-numeric dotted quad is an IPv4 literal and must have octets 0-255, not a DNS name.
    if (!isIPv4(host)) return null;
    kind = 'ipv4';
  } else {
    if (host.length === 0 || host.length > 255 || !DNS_NAME.test(host)) return null;
    kind = 'dns';
  }
  return port === undefined ? { host, kind } : { host, kind, port };
}

export function isValidServerName(name: string): boolean {
  return parseServerName(name) !== null;
}

// ---------------------------------------------------------------------------------------------------
// Shared pieces of `&localpart:domain` ids

const STRICT_USER_LOCALPART = /^[a-z0-9._=\-/+]+$/;
// Lone surrogates are not Unicode scalar values; the spec excludes them along with NUL and ':'.
const FORBIDDEN_IN_OPAQUE = /[\u0000:]|\p{Cs}/u;

function isOpaqueLocalpart(s: string): boolean {
  return !FORBIDDEN_IN_OPAQUE.test(s);
}

/** Splits `&localpart:domain` at the first colon (localparts never contain one; domains may). */
function splitSigilled(id: string, sigil: string): [localpart: string, domain: string] | null {
  if (!id.startsWith(sigil) || byteLength(id) > MAX_ID_BYTES) return null;
  const colon = id.indexOf(':');
  if (colon < 0) return null;
  return [id.slice(1, colon), id.slice(colon + 1)];
}

// ---------------------------------------------------------------------------------------------------
// User ids

/** True when `localpart` is allowed for a user id we allocate (the current, strict grammar). */
export function isValidUserLocalpart(localpart: string): boolean {
  return STRICT_USER_LOCALPART.test(localpart);
}

/**
 * Parses a user id. `historical` (the default) accepts the older localpart grammar that remote events
 * may carry (any scalar value except `:` and NUL, even empty); `strict` demands the current grammar,
 * which is what we require of ids we create.
 */
export function parseUserId(id: string, mode: 'strict' | 'historical' = 'historical'): ParsedUserId | null {
  const parts = splitSigilled(id, '@');
  if (!parts) return null;
  const [localpart, serverName] = parts;
  if (!isValidServerName(serverName)) return null;
  const compliant = isValidUserLocalpart(localpart);
  if (mode === 'strict' ? !compliant : !isOpaqueLocalpart(localpart)) return null;
  return { localpart, serverName, compliant };
}

export function isValidUserId(id: string, mode: 'strict' | 'historical' = 'historical'): boolean {
  return parseUserId(id, mode) !== null;
}

// ---------------------------------------------------------------------------------------------------
// Event ids and room ids

// 32-byte SHA-256 hashes encode to 43 unpadded base64 characters.
const STD_HASH = /^[A-Za-z0-9+/]{43}$/;
const URL_HASH = /^[A-Za-z0-9\-_]{43}$/;

function parseHashOrDomainId(id: string, sigil: string): ParsedEventId | null {
  if (!id.startsWith(sigil) || byteLength(id) > MAX_ID_BYTES) return null;
  const body = id.slice(1);
  const colon = body.indexOf(':');
  if (colon >= 0) {
    const opaque = body.slice(0, colon);
    const serverName = body.slice(colon + 1);
    if (opaque === '' || !isOpaqueLocalpart(opaque) || !isValidServerName(serverName)) return null;
    return { format: 'v1', opaque, serverName };
  }
  // Some hashes are valid in both alphabets; prefer the URL-safe reading used by every version since v4.
  if (URL_HASH.test(body)) return { format: 'v4', opaque: body };
  if (STD_HASH.test(body)) return { format: 'v3', opaque: body };
  return null;
}

/** Parses an event id of any format; use `isValidEventId` to check it against a room version. */
export function parseEventId(id: string): ParsedEventId | null {
  return parseHashOrDomainId(id, '$');
}

/** Checks an event id, against the format of `version` when given, or any known format otherwise. */
export function isValidEventId(id: string, version?: RoomVersion): boolean {
  const parsed = parseEventId(id);
  if (!parsed || !version) return parsed !== null;
  const body = parsed.opaque;
  switch (version.eventIdFormat) {
    case 'v1':
      return parsed.format === 'v1';
    case 'v3':
      return parsed.serverName === undefined && STD_HASH.test(body);
    case 'v4':
      return parsed.serverName === undefined && URL_HASH.test(body);
  }
}

/** Parses a room id: `!opaque:domain`, or `!<url-safe hash>` for rooms whose id is derived from the create event. */
export function parseRoomId(id: string): ParsedRoomId | null {
  const parsed = parseHashOrDomainId(id, '!');
  if (!parsed) return null;
  if (parsed.serverName !== undefined) return { opaque: parsed.opaque, serverName: parsed.serverName };
  // Room ids derived from create events always use the URL-safe alphabet.
  return parsed.format === 'v4' ? { opaque: parsed.opaque } : null;
}

/** Checks a room id, against the form `version` requires when given. */
export function isValidRoomId(id: string, version?: RoomVersion): boolean {
  const parsed = parseRoomId(id);
  if (!parsed || !version) return parsed !== null;
  return version.roomIdFromCreateEvent ? parsed.serverName === undefined : parsed.serverName !== undefined;
}

// ---------------------------------------------------------------------------------------------------
// Room aliases

export function parseRoomAlias(alias: string): ParsedRoomAlias | null {
  const parts = splitSigilled(alias, '#');
  if (!parts) return null;
  const [localpart, serverName] = parts;
  if (localpart === '' || !isOpaqueLocalpart(localpart) || !isValidServerName(serverName)) return null;
  return { localpart, serverName };
}

export function isValidRoomAlias(alias: string): boolean {
  return parseRoomAlias(alias) !== null;
}

// ---------------------------------------------------------------------------------------------------
// Key ids

const KEY_ALGORITHM = /^[a-z0-9_]+$/;
const KEY_VERSION = /^[a-zA-Z0-9_]+$/;

/** Parses a server signing key id, `<algorithm>:<version>` with the version in `[a-zA-Z0-9_]`. */
export function parseKeyId(keyId: string): ParsedKeyId | null {
  const colon = keyId.indexOf(':');
  if (colon < 0) return null;
  const algorithm = keyId.slice(0, colon);
  const version = keyId.slice(colon + 1);
  if (!KEY_ALGORITHM.test(algorithm) || !KEY_VERSION.test(version)) return null;
  return { algorithm, version };
}

export function isValidKeyId(keyId: string): boolean {
  return parseKeyId(keyId) !== null;
}

// ---------------------------------------------------------------------------------------------------
// Common helpers

/**
 * The server name part of a user id, room alias, or domain-carrying room / event id. Returns undefined
 * for ids without a domain (hash-based event ids, v12 room ids) and for malformed ids.
 */
export function serverNameOf(id: string): string | undefined {
  switch (id[0]) {
    case '@':
      return parseUserId(id)?.serverName;
    case '#':
      return parseRoomAlias(id)?.serverName;
    case '!':
      return parseRoomId(id)?.serverName;
    case '$':
      return parseEventId(id)?.serverName;
    default:
      return undefined;
  }
}

/** The Common Namespaced Identifier Grammar (used by e.g. room version ids and capability names). */
export function isValidNamespacedIdentifier(id: string): boolean {
  return id.length >= 1 && id.length <= 255 && /^[a-z][a-z0-9._-]*$/.test(id);
}
