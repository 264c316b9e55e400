import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';

// Application service registrations (the YAML files bridges generate): schema, loading and the start-up checks.
// A bad file stops the server with one line naming the file and the field, because a bridge silently not
// loaded is the hardest failure for an operator to see.

export interface NamespaceEntry {
  regex: string;
  exclusive: boolean;
}

export interface Registration {
  id: string;
  url: string | null;
  asToken: string;
  hsToken: string;
  senderLocalpart: string;
  namespaces: { users: NamespaceEntry[]; aliases: NamespaceEntry[]; rooms: NamespaceEntry[] };
  rateLimited: boolean;
  protocols: string[];
  /** receive_ephemeral or its unstable name de.sorunome.msc2409.push_ephemeral. */
  receiveEphemeral: boolean;
  /** org.matrix.msc3202: device list changes and one-time key counts. */
  msc3202: boolean;
  /** io.element.msc4190: device management without login. */
  msc4190: boolean;
  /** Where it was loaded from, for logs and errors. */
  source: string;
}

export class RegistrationError extends Error {
  override name = 'RegistrationError';
}

const namespaceList = {
  type: 'array',
  items: {
    type: 'object',
    required: ['regex'],
    properties: { regex: { type: 'string', minLength: 1 }, exclusive: { type: 'boolean' } },
  },
};

const SCHEMA = {
  type: 'object',
  required: ['id', 'as_token', 'hs_token', 'sender_localpart', 'namespaces'],
  properties: {
    id: { type: 'string', minLength: 1 },
    url: { type: ['string', 'null'] },
    as_token: { type: 'string', minLength: 1 },
    hs_token: { type: 'string', minLength: 1 },
    sender_localpart: { type: 'string', minLength: 1 },
    namespaces: {
      type: 'object',
      properties: { users: namespaceList, aliases: namespaceList, rooms: namespaceList },
    },
    rate_limited: { type: 'boolean' },
    protocols: { type: ['array', 'null'], items: { type: 'string' } },
    receive_ephemeral: { type: 'boolean' },
    'de.sorunome.msc2409.push_ephemeral': { type: 'boolean' },
    'org.matrix.msc3202': { type: 'boolean' },
    'io.element.msc4190': { type: 'boolean' },
  },
} as const;

function fieldOf(err: ErrorObject): string {
  const path = err.instancePath.replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
  if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty?: string }).missingProperty ?? '?';
    return path === '' ? missing : `${path}.${missing}`;
  }
  return path === '' ? '(top level)' : path;
}

export type RegistrationValidator = (raw: unknown, source: string) => Registration;

export function createRegistrationValidator(): RegistrationValidator {
  // ajv is loaded here, not at import: most servers have no registration file to check.
  const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  const check = ajv.compile<unknown>(SCHEMA);
  return (raw, source) => {
    if (!check(raw)) {
      const first = check.errors?.[0];
      throw new RegistrationError(first ? `${source}: ${fieldOf(first)} ${first.message ?? 'is invalid'}` : `${source}: invalid registration`);
    }
    const r = raw as unknown as Record<string, unknown>;
    const ns = (r.namespaces ?? {}) as Record<string, Array<{ regex: string; exclusive?: boolean }> | undefined>;
    const entries = (kind: string): NamespaceEntry[] =>
      (ns[kind] ?? []).map((e, i) => {
        try {
          new RegExp(e.regex);
        } catch (err) {
          throw new RegistrationError(`${source}: namespaces.${kind}[${i}].regex is not a valid regular expression (${(err as Error).message})`);
        }
        return { regex: e.regex, exclusive: e.exclusive ?? false };
      });
    const bool = (key: string): boolean => r[key] === true;
    return {
      id: r.id as string,
      url: typeof r.url === 'string' && r.url !== '' ? r.url.replace(/\/+$/, '') : null,
      asToken: r.as_token as string,
      hsToken: r.hs_token as string,
      senderLocalpart: r.sender_localpart as string,
      namespaces: { users: entries('users'), aliases: entries('aliases'), rooms: entries('rooms') },
      // Synapse's default: rate limited unless the registration says otherwise.
      rateLimited: r.rate_limited !== false,
      protocols: Array.isArray(r.protocols) ? (r.protocols as string[]) : [],
      receiveEphemeral: bool('receive_ephemeral') || bool('de.sorunome.msc2409.push_ephemeral'),
      msc3202: bool('org.matrix.msc3202'),
      msc4190: bool('io.element.msc4190'),
      source,
    };
  };
}

/** Parses one registration file. */
export function loadRegistrationFile(path: string, validate: RegistrationValidator): Registration {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RegistrationError(`${path}: cannot read registration (${(err as Error).message})`);
  }
  return validate(raw, path);
}

/** Every `*.yaml` / `*.yml` file directly in `dir` (none when it does not exist), sorted for a stable order. */
export function registrationFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Loads the given files and refuses a set that cannot work together: two registrations with the same id,
 * as_token or hs_token (tokens identify the service in both directions), or an exclusive namespace regex
 * claimed by two services.
 */
export function loadRegistrations(files: readonly string[]): Registration[] {
  // Compiling the schema costs ~50-180 ms of startup CPU; most servers run without any registration file.
  let validator: RegistrationValidator | undefined;
  const validate: RegistrationValidator = (raw, source) => (validator ??= createRegistrationValidator())(raw, source);
  const seen = new Set<string>();
  const out: Registration[] = [];
  for (const file of files) {
    if (seen.has(file)) continue;
    seen.add(file);
    out.push(loadRegistrationFile(file, validate));
  }
  checkRegistrationSet(out);
  return out;
}

export function checkRegistrationSet(regs: readonly Registration[]): void {
  const ids = new Map<string, string>();
  const tokens = new Map<string, string>();
  const exclusive = new Map<string, string>();
  for (const r of regs) {
    const prevId = ids.get(r.id);
    if (prevId !== undefined) throw new RegistrationError(`${r.source}: id "${r.id}" is already used by ${prevId}`);
    ids.set(r.id, r.source);
    for (const [field, token] of [
      ['as_token', r.asToken],
      ['hs_token', r.hsToken],
    ] as const) {
      const prev = tokens.get(token);
      if (prev !== undefined) throw new RegistrationError(`${r.source}: ${field} is already used by ${prev}`);
      tokens.set(token, `${r.source} (${field})`);
    }
    for (const kind of ['users', 'aliases', 'rooms'] as const) {
      for (const [i, e] of r.namespaces[kind].entries()) {
        if (!e.exclusive) continue;
        const key = `${kind}\u0000${e.regex}`;
        const prev = exclusive.get(key);
        if (prev !== undefined) {
          throw new RegistrationError(`${r.source}: namespaces.${kind}[${i}] exclusive regex "${e.regex}" is already claimed exclusively by ${prev}`);
        }
        exclusive.set(key, r.source);
      }
    }
  }
}
