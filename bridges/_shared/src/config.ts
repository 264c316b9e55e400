import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';

// Bridge config files: YAML checked against a JSON schema. A bad file stops the bridge with one line naming the
// file and the field, because an operator reading "invalid config" has nowhere to start.

export type JsonSchema = Record<string, unknown>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function fieldOf(err: ErrorObject): string {
  const path = err.instancePath.replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
  if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty?: string }).missingProperty ?? '?';
    return path === '' ? missing : `${path}.${missing}`;
  }
  if (err.keyword === 'additionalProperties') {
    const extra = (err.params as { additionalProperty?: string }).additionalProperty ?? '?';
    return path === '' ? extra : `${path}.${extra}`;
  }
  return path === '' ? '(top level)' : path;
}

function describe(err: ErrorObject): string {
  if (err.keyword === 'additionalProperties') return 'is not a known setting';
  if (err.keyword === 'required') return 'is required';
  return err.message ?? 'is invalid';
}

/** Validates an already-parsed value; `source` names it in errors (usually the file path). */
export function validateConfig<T>(raw: unknown, schema: JsonSchema, source: string): T {
  const ajv = new Ajv2020.default({ strict: false, allErrors: false, useDefaults: true });
  const check = ajv.compile(schema);
  if (!check(raw)) {
    const first = check.errors?.[0];
    throw new ConfigError(first ? `${source}: ${fieldOf(first)} ${describe(first)}` : `${source}: invalid config`);
  }
  return raw as T;
}

/** Reads and validates a YAML config file. Defaults in the schema are filled in. */
export function loadYamlConfig<T>(path: string, schema: JsonSchema): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: (top level) must be a mapping`);
  return validateConfig<T>(raw, schema, path);
}
