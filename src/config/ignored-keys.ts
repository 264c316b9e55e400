import { keyPath } from './errors.js';
import type { JsonSchema } from './schema.js';

// A Synapse homeserver.yaml carries many keys we do not implement. They are not errors (an operator must be able
// to bring their file as-is) but they must not pass silently either: we list them in one warning.

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Dotted paths of keys in `data` that `schema` does not describe. Call after validation succeeded. */
export function findIgnoredKeys(schema: JsonSchema, data: unknown, path: Array<string | number> = []): string[] {
  const out: string[] = [];
  if (Array.isArray(data)) {
    const items = schema.items;
    if (isRecord(items)) data.forEach((item, i) => out.push(...findIgnoredKeys(items, item, [...path, i])));
    return out;
  }
  if (!isRecord(data)) return out;
  const props = isRecord(schema.properties) ? schema.properties : {};
  const additional = schema.additionalProperties;
  for (const [key, value] of Object.entries(data)) {
    const sub = props[key];
    if (isRecord(sub)) out.push(...findIgnoredKeys(sub, value, [...path, key]));
    else if (isRecord(additional)) out.push(...findIgnoredKeys(additional, value, [...path, key]));
    else if (additional !== true) out.push(keyPath([...path, key]));
  }
  return out;
}
