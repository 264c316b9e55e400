// Ghost users: Matrix users that stand for people on the remote network. Their localparts must fit the
// user-id grammar (a-z 0-9 . _ = - /), so remote ids are escaped with the spec's reversible mapping
// ("Mapping from other character sets"): `_` becomes `__`, an upper-case letter `_` + its lower case, and any
// other character outside the grammar `=` + two hex digits per UTF-8 byte.

const ALLOWED = /^[a-z0-9._=\-/]+$/;

export function isLocalpartValid(localpart: string): boolean {
  return localpart.length > 0 && ALLOWED.test(localpart);
}

export function escapeLocalpart(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '_') out += '__';
    else if (ch >= 'A' && ch <= 'Z') out += `_${ch.toLowerCase()}`;
    else if (/^[a-z0-9.\-/]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `=${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function unescapeLocalpart(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '_') {
      const next = s[i + 1];
      if (next === undefined) throw new Error(`bad escape at end of ${s}`);
      bytes.push((next === '_' ? '_' : next.toUpperCase()).charCodeAt(0));
      i++;
    } else if (ch === '=') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) throw new Error(`bad escape =${hex} in ${s}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(ch.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * `prefix` + the escaped parts joined by `_`. The prefix is the bridge's namespace (e.g. `slack_`) and is used
 * as-is. Parts are escaped, so a `_` inside a part (doubled) never reads as a separator.
 */
export function ghostLocalpart(prefix: string, ...parts: string[]): string {
  const localpart = prefix + parts.map(escapeLocalpart).join('_');
  if (!isLocalpartValid(localpart)) throw new Error(`ghost localpart ${JSON.stringify(localpart)} is not valid (check the prefix)`);
  return localpart;
}

export function ghostUserId(prefix: string, domain: string, ...parts: string[]): string {
  return `@${ghostLocalpart(prefix, ...parts)}:${domain}`;
}
