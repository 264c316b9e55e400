import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import { ConfigError, describeValue, keyPath } from './errors.js';
import { buildConfigSchema, type JsonSchema } from './schema.js';

// Schema validation of the raw homeserver.yaml object. The first failure becomes ONE fatal line naming the key
// path (`listeners[0].port must be integer (got "abc")`), because an operator fixes one key at a time.

export interface ConfigValidator {
  /** Throws ConfigError when `raw` does not match; returns it typed as a plain record otherwise. */
  validate(raw: unknown): Record<string, unknown>;
  schema: JsonSchema;
}

export function createConfigValidator(): ConfigValidator {
  const schema = buildConfigSchema();
  // verbose: errors carry the failing value and schema, which the message needs.
  const ajv = new Ajv2020.default({ strict: false, allErrors: false, verbose: true });
  ajv.addVocabulary(['x-expected']);
  const check = ajv.compile(schema);
  return {
    schema,
    validate(raw) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new ConfigError(`the config file must be a mapping of keys (got ${describeValue(raw)})`);
      }
      if (!check(raw)) {
        const first = check.errors?.[0];
        throw new ConfigError(first ? formatError(first) : 'invalid configuration');
      }
      return raw as Record<string, unknown>;
    },
  };
}

function pointerToParts(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

function expectedOf(schema: unknown): string | undefined {
  if (schema && typeof schema === 'object' && 'x-expected' in schema) {
    const e = (schema as Record<string, unknown>)['x-expected'];
    if (typeof e === 'string') return e;
  }
  return undefined;
}

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t.map(String) : [String(t)];
  const words = list.map((x) => (x === 'object' ? 'a mapping' : x === 'array' ? 'a list' : x));
  return words.join(' or ');
}

export function formatError(e: ErrorObject): string {
  const parts = pointerToParts(e.instancePath);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    const missing = String(params.missingProperty);
    return `config error: ${keyPath([...parts, missing])} is required`;
  }
  const badKey = (e as ErrorObject & { propertyName?: unknown }).propertyName ?? params.propertyName;
  if (typeof badKey === 'string') {
    // propertyNames failures point at the object; the bad key itself is the useful part.
    const expected = expectedOf(e.parentSchema) ?? (e.message ?? 'valid').replace(/^must (be )?/, '');
    return `config error: ${keyPath(parts)} has key ${describeValue(badKey)}; keys must be ${expected}`;
  }
  const where = keyPath(parts) || 'the config file';
  const got = ` (got ${describeValue(e.data)})`;
  if (e.keyword === 'type' && !expectedOf(e.parentSchema)) {
    return `config error: ${where} must be ${typeWords(params.type)}${got}`;
  }
  const expected = expectedOf(e.parentSchema);
  if (expected) return `config error: ${where} must be ${expected}${got}`;
  return `config error: ${where} ${e.message ?? 'is invalid'}${got}`;
}
