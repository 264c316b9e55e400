import { createRequire } from 'node:module';
import type { Context, Middleware } from 'koa';
import type { Ajv2020, ErrorObject, SchemaObject, ValidateFunction } from 'ajv/dist/2020.js';
import { badJson, invalidParam, MatrixError, missingParam } from '../errors/index.js';
import { requestInfo } from './context.js';
import { readJsonBody, type JsonBodyOptions } from './json-body.js';

// Request validation with ajv, compiled once per schema on its first request, never per request.
//
// Compiling on first use rather than at route definition keeps a few hundred schemas out of startup:
// compiling them all cost ~100-170 ms of CPU before the first request could be answered (most routes
// of a given deployment are never called), against well under a millisecond on a route's first request.
// One Ajv instance is shared by every schema compiled here. It is created on first use (not at import)
// and holds only compiled pure functions: building an instance costs ~6 ms against ~0.2 ms per schema,
// and no request state ever lives in it. ajv itself is loaded then too (~60 ms of CPU at startup otherwise).

let sharedAjv: Ajv2020 | undefined;

function ajv(): Ajv2020 {
  if (!sharedAjv) {
    const require = createRequire(import.meta.url);
    const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    // Our schemas are checked against JSON Schema's meta-schema by the test suite (compilePendingValidators),
    // not on every start: that check compiles the meta-schema itself, ~0.56 MB of heap kept for the process's
    // life, on the first request with a body. No route schema uses `format` (the test suite makes sure), so
    // ajv-formats and its regular expressions are not loaded.
    sharedAjv = new AjvClass({ allErrors: false, strict: false, validateSchema: false });
  }
  return sharedAjv;
}

function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.length ? parts.join('.') : '(body)';
}

/** Turns the first ajv error into the spec's error code, naming the offending field. */
export function validationError(err: ErrorObject | undefined, what = 'body'): MatrixError {
  if (!err) return badJson(`Invalid ${what}`);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required': {
      const missing = typeof params.missingProperty === 'string' ? params.missingProperty : '?';
      return missingParam(`Missing required field in ${what}: ${fieldPath(err.instancePath, missing)}`);
    }
    case 'type':
    case 'additionalProperties':
    case 'unevaluatedProperties':
    case 'propertyNames':
      return badJson(`Invalid ${what}: ${fieldPath(err.instancePath)} ${err.message ?? 'is invalid'}`);
    default:
      return invalidParam(`Invalid ${what}: ${fieldPath(err.instancePath)} ${err.message ?? 'is invalid'}`);
  }
}

/**
 * Checkers whose schema is not compiled yet. A schema error no longer stops the server at boot, so the test
 * suite compiles every route's schema through `compilePendingValidators` instead (test/http/all-schemas-compile).
 */
const pending = new Map<() => void, SchemaObject>();

/** The first `format` keyword in a schema (a string under that key; a property named format maps to a schema). */
function formatKeyword(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  if (!Array.isArray(node) && typeof (node as Record<string, unknown>).format === 'string') return (node as Record<string, string>).format;
  for (const child of Object.values(node)) {
    const found = formatKeyword(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Checks every schema defined so far and not used yet against JSON Schema's meta-schema, and compiles it;
 * returns how many. Throws on the first invalid one, and on a `format` keyword, which the shared instance
 * has no formats for and would ignore.
 */
export function compilePendingValidators(): number {
  const all = [...pending];
  for (const [compile, schema] of all) {
    if (!ajv().validateSchema(schema)) throw new Error(`invalid schema: ${ajv().errorsText()}`);
    const format = formatKeyword(schema);
    if (format !== undefined) throw new Error(`schema uses format "${format}", which request validation does not check`);
    compile();
  }
  return all.length;
}

/** A checker that throws the spec's error for a value not matching `schema` (compiled on its first call). */
export function compileValidator<T>(schema: SchemaObject, what = 'body'): (value: unknown) => T {
  let validate: ValidateFunction | undefined;
  const compile = (): void => {
    validate ??= ajv().compile(schema);
    pending.delete(compile);
  };
  pending.set(compile, schema);
  return (value: unknown): T => {
    if (!validate) compile();
    if (!validate) throw new Error('schema did not compile');
    if (!validate(value)) throw validationError(validate.errors?.[0], what);
    return value as T;
  };
}

export interface BodyValidator<T> extends Middleware {
  /** The validated body, for the handler that runs after this middleware. */
  body(ctx: Context): T;
}

/**
 * Route middleware that reads the JSON body, requires an object and validates it against `schema`
 * (which should itself say `type: 'object'`). Call it while defining routes; the schema compiles on first use.
 */
export function validateBody<T>(schema: SchemaObject, opts: JsonBodyOptions = {}): BodyValidator<T> {
  const check = compileValidator<T>(schema);
  const validated = new WeakSet<Context>();
  const middleware = async (ctx: Context, next: () => Promise<unknown>) => {
    const value = await readJsonBody(ctx, opts);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badJson('Request body must be a JSON object');
    }
    check(value);
    validated.add(ctx);
    await next();
  };
  const body = (ctx: Context): T => {
    const parsed = requestInfo(ctx).parsedBody;
    if (!validated.has(ctx) || !parsed) throw new Error('validateBody middleware did not run before the handler');
    return parsed.value as T;
  };
  return Object.assign(middleware, { body });
}

// --- query string parameters -------------------------------------------------------------------------

export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** The first value of a query parameter, or undefined when absent. */
export function queryString(query: Query, name: string): string | undefined {
  const v = query[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface IntParamOptions {
  min?: number;
  max?: number;
}

export function queryInt(query: Query, name: string, opts: IntParamOptions & { default: number }): number;
export function queryInt(query: Query, name: string, opts?: IntParamOptions): number | undefined;
export function queryInt(
  query: Query,
  name: string,
  opts: IntParamOptions & { default?: number } = {},
): number | undefined {
  const raw = queryString(query, name);
  if (raw === undefined || raw === '') return opts.default;
  if (!/^-?\d{1,16}$/.test(raw)) throw invalidParam(`Query parameter ${name} must be an integer`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw invalidParam(`Query parameter ${name} is out of range`);
  if (opts.min !== undefined && n < opts.min) throw invalidParam(`Query parameter ${name} must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw invalidParam(`Query parameter ${name} must be at most ${opts.max}`);
  return n;
}

/** `true`/`false` as the spec writes booleans in query strings; anything else is M_INVALID_PARAM. */
export function queryBool(query: Query, name: string, fallback: boolean): boolean {
  const raw = queryString(query, name);
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidParam(`Query parameter ${name} must be true or false`);
}
