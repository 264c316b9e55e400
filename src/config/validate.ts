import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError, describeValue, keyPath } from './errors.js';
import { buildConfigSchema, type JsonSchema } from './schema.js';

// Schema validation of the raw homeserver.yaml object. The first failure becomes ONE fatal line naming the key
// path (`listeners[0].port must be integer (got "abc")`), because an operator fixes one key at a time.
//
// Compiling this schema with ajv cost ~200 ms of CPU on every start (ajv's code generator runs cold, and the
// schema's many limiters expand to ~175 KB of code), a quarter of the time to the first answer. `npm run build`
// therefore writes the same compiled validator next to this file as a CommonJS module (ajv's standalone code,
// scripts/precompile-config-validator.mjs); it is used only when it was compiled from this exact schema
// (sha-256 of its JSON), otherwise the schema is compiled here as before (tests run from src/, a stale build).

export interface ConfigValidator {
  /** Throws ConfigError when `raw` does not match; returns it typed as a plain record otherwise. */
  validate(raw: unknown): Record<string, unknown>;
  schema: JsonSchema;
  /** 'build': the precompiled validator was used; 'startup': the schema was compiled now. */
  compiled: 'build' | 'startup';
}

/** The file name of the precompiled validator, next to this module in dist/. */
export const PRECOMPILED_VALIDATOR_FILE = 'config-validator.precompiled.cjs';

/** verbose: errors carry the failing value and schema (its `x-expected`), which the message needs. */
const AJV_OPTIONS: Options = { strict: false, allErrors: false, verbose: true };

export function schemaDigest(schema: JsonSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

const requireHere = createRequire(import.meta.url);

function newAjv(extra: Options = {}): Ajv2020 {
  // Loaded only when the schema must be compiled, so a built server never loads ajv's compiler for its config.
  const { Ajv2020: AjvClass } = requireHere('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new AjvClass({ ...AJV_OPTIONS, ...extra });
  ajv.addVocabulary(['x-expected']);
  return ajv;
}

/** The source of a CommonJS module exporting the compiled validator and the digest of the schema it checks. */
export function precompiledValidatorSource(): string {
  const schema = buildConfigSchema();
  const ajv = newAjv({ code: { source: true } });
  const check = ajv.compile(schema);
  const { default: standaloneCode } = requireHere('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js');
  return `${standaloneCode(ajv, check)}\nmodule.exports.schemaDigest = ${JSON.stringify(schemaDigest(schema))};\n`;
}

/**
 * The build's validator, compiled as a function of its own rather than require()d: a required module stays in
 * require's cache for the process's life (its ~190 kB of source and the schema constants in it, ~0.47 MB of
 * heap), while the config is validated once, at start. Compiled this way it goes with the validator.
 */
function precompiled(schema: JsonSchema, file: string): ValidateFunction | null {
  if (!existsSync(file)) return null;
  const module: { exports: unknown } = { exports: {} };
  compileFunction(readFileSync(file, 'utf8'), ['module', 'exports', 'require'], { filename: file })(module, module.exports, requireHere);
  const mod = module.exports as ValidateFunction & { schemaDigest?: unknown };
  return mod.schemaDigest === schemaDigest(schema) ? mod : null;
}

/**
 * `precompiledFile`: where `npm run build` put the compiled validator (tests name another file). Spelled through
 * ../config/ so that it names dist/src/config/ both from this module and from the bundle in dist/src/cli/.
 */
export function createConfigValidator(
  precompiledFile = fileURLToPath(new URL(`../config/${PRECOMPILED_VALIDATOR_FILE}`, import.meta.url)),
): ConfigValidator {
  const schema = buildConfigSchema();
  const built = precompiled(schema, precompiledFile);
  const check = built ?? newAjv().compile(schema);
  return {
    schema,
    compiled: built ? 'build' : 'startup',
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
