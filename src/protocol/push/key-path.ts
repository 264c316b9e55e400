// Dot-separated property paths (spec appendix "Dot-separated property paths"): `.` separates names,
// `\.` is a literal dot and `\\` a literal backslash inside a name. Any other backslash sequence is kept
// as-is (`\x` is a backslash followed by x), because the spec reserves those escapes for future use.

export function parseKeyPath(key: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (c === '\\') {
      const next = key[i + 1];
      if (next === '.' || next === '\\') {
        current += next;
        i++;
      } else {
        current += c;
      }
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** Escapes one property name so that `parseKeyPath` reads it back as a single segment. */
export function escapeKeySegment(name: string): string {
  return name.replace(/[\\.]/g, (c) => `\\${c}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Follows `path` through nested objects of `root`. Returns undefined when any step is absent or not an
 * object; arrays are never indexed into. Only own properties count, so a key like `constructor` cannot
 * reach the prototype chain.
 */
export function lookupPath(root: unknown, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const name of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, name)) return undefined;
    node = node[name];
  }
  return node;
}
