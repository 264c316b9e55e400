import { randomBytes } from 'node:crypto';

// Media ids are the path component of mxc:// URIs. The spec restricts them to [A-Za-z0-9_-] so that no
// id can traverse directories (see content_repo.md, security considerations); we generate 24
// alphanumerics (~143 bits) and refuse anything else that reaches a file path.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

export function newMediaId(): string {
  // 248 = 62 * 4: rejecting bytes >= 248 keeps every character equally likely.
  let out = '';
  while (out.length < 24) {
    for (const b of randomBytes(32)) {
      if (b < 248 && out.length < 24) out += ALPHABET[b % 62];
    }
  }
  return out;
}

export function isValidMediaId(id: string): boolean {
  return MEDIA_ID.test(id);
}

export function mxcUri(serverName: string, mediaId: string): string {
  return `mxc://${serverName}/${mediaId}`;
}
