import { AssertionError } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

// Checks our responses against the Matrix spec's own OpenAPI schemas (../shared/spec, v1.19), so a
// test fails when a body drifts from what clients and servers are promised. The spec's $refs are
// relative file paths with optional JSON pointers; we inline them ourselves (see resolveRefs).

export type SpecApi = 'client-server' | 'server-server' | 'application-service' | 'push-gateway' | 'identity';
export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';

/** The spec copy sits beside the project: <root>/../shared/spec. */
export const SPEC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/spec');
const API_DIR = join(SPEC_DIR, 'data/api');

// Parsing the spec is slow and it never changes during a run, so everything is cached per process.
const files = new Map<string, unknown>();
const resolved = new Map<string, unknown>();
const validators = new Map<string, ValidateFunction>();
const operationIndex = new Map<SpecApi, SpecOperation[]>();
let sharedAjv: Ajv2020 | undefined;

export function loadSpecFile(absPath: string): unknown {
  let doc = files.get(absPath);
  if (doc === undefined) {
    doc = parseYaml(readFileSync(absPath, 'utf8')) as unknown;
    files.set(absPath, doc);
  }
  return doc;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function followPointer(doc: unknown, pointer: string, where: string): unknown {
  if (pointer === '' || pointer === '/') return doc;
  let node = doc;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isObject(node)) node = node[part];
    else node = undefined;
    if (node === undefined) throw new Error(`spec $ref ${where}: nothing at pointer ${pointer}`);
  }
  return node;
}

const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

// Keys that only describe; when they sit beside a $ref, merging them over the target loses nothing.
const ANNOTATIONS = new Set(['description', 'title', 'example', 'examples', 'deprecated', 'default', '$comment']);

/**
 * Returns `node` with every $ref replaced by what it points to. A $ref back into a schema that is still
 * being expanded (a recursive schema) becomes `{}`: ajv cannot compile a cyclic object, and accepting
 * anything at the recursion point only loosens the check there.
 */
export function resolveRefs(node: unknown, file: string, stack: readonly string[] = [], isNameMap = false): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, file, stack));
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (isNameMap) {
      // Keys of `properties` and the like are field names, not keywords.
      out[k] = resolveRefs(v, file, stack);
      continue;
    }
    // Examples use $ref in a non-standard way (openapi_extensions.md) and never constrain anything.
    if (k === '$ref' || k === 'example' || k === 'examples' || k.startsWith('x-')) continue;
    out[k] = resolveRefs(v, file, stack, NAME_MAPS.has(k));
  }
  const ref = node.$ref;
  if (typeof ref !== 'string') return out;
  const hash = ref.indexOf('#');
  const filePart = hash === -1 ? ref : ref.slice(0, hash);
  const pointer = hash === -1 ? '' : ref.slice(hash + 1);
  const targetFile = filePart ? resolve(dirname(file), filePart) : file;
  const key = `${targetFile}#${pointer}`;
  let target: unknown;
  if (stack.includes(key)) target = {};
  else {
    target = resolved.get(key);
    if (target === undefined) {
      target = resolveRefs(followPointer(loadSpecFile(targetFile), pointer, ref), targetFile, [...stack, key]);
      resolved.set(key, target);
    }
  }
  const siblings = Object.keys(out);
  if (siblings.length === 0) return target;
  if (isObject(target) && siblings.every((s) => ANNOTATIONS.has(s))) return { ...target, ...out };
  return { allOf: [target], ...out };
}

export interface SpecOperation {
  api: SpecApi;
  file: string;
  method: HttpMethod;
  /** basePath + path as written in the spec, e.g. /_matrix/client/v3/rooms/{roomId}/state */
  fullTemplate: string;
  /** The path as written under `paths:`, relative to the file's basePath. */
  template: string;
  regex: RegExp;
  operation: Record<string, unknown>;
}

const METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function templateRegex(template: string): RegExp {
  const escaped = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}/?$`);
}

export function specOperations(api: SpecApi): SpecOperation[] {
  let ops = operationIndex.get(api);
  if (ops) return ops;
  ops = [];
  const dir = join(API_DIR, api);
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const file = join(dir, name);
    const doc = loadSpecFile(file);
    if (!isObject(doc) || !isObject(doc.paths)) continue;
    const servers = Array.isArray(doc.servers) ? doc.servers : [];
    const first: unknown = servers[0];
    const vars = isObject(first) && isObject(first.variables) ? first.variables : {};
    const basePathVar = vars.basePath;
    const basePath = isObject(basePathVar) && typeof basePathVar.default === 'string' ? basePathVar.default : '';
    for (const [template, item] of Object.entries(doc.paths)) {
      if (!isObject(item)) continue;
      for (const method of METHODS) {
        const op = item[method];
        if (!isObject(op)) continue;
        const fullTemplate = basePath + template;
        ops.push({ api, file, method, fullTemplate, template, regex: templateRegex(fullTemplate), operation: op });
      }
    }
  }
  operationIndex.set(api, ops);
  return ops;
}

/**
 * Finds an operation by its full path template (`/_matrix/key/v2/server`), by the template as the spec
 * file writes it (`/server`, only when unique), or by a concrete path (`/_matrix/client/v3/rooms/!a:b/state`).
 */
export function findSpecOperation(api: SpecApi, method: string, path: string): SpecOperation {
  const m = method.toLowerCase();
  const ops = specOperations(api).filter((o) => o.method === m);
  const exact = ops.find((o) => o.fullTemplate === path);
  if (exact) return exact;
  const relative = ops.filter((o) => o.template === path);
  if (relative.length === 1 && relative[0]) return relative[0];
  if (relative.length > 1) {
    throw new Error(`${api} ${method} ${path} is ambiguous: ${relative.map((o) => o.fullTemplate).join(', ')}`);
  }
  const concrete = ops.find((o) => o.regex.test(path));
  if (concrete) return concrete;
  throw new Error(`the ${api} spec has no operation ${method.toUpperCase()} ${path}`);
}

function uintOk(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function specAjv(): Ajv2020 {
  if (sharedAjv) return sharedAjv;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('uint', { type: 'number', validate: uintOk });
  ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  // The hints in string-formats.yaml (comments there) plus the appendix grammar where it is simple.
  const known: Record<string, RegExp> = {
    'mx-user-id': /^@[^:]*:.+$/,
    'mx-event-id': /^\$/,
    'mx-room-id': /^!/,
    'mx-room-alias': /^#[^:]*:.+$/,
    'mx-mxc-uri': /^mxc:\/\/[^/]+\/[A-Za-z0-9_-]+$/,
    'mx-server-name': /^(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,255})(:\d{1,5})?$/,
    'mx-unpadded-base64': /^[A-Za-z0-9+/]*$/,
    'mx-urlsafe-unpadded-base64': /^[A-Za-z0-9_-]*$/,
  };
  for (const [name, re] of Object.entries(known)) ajv.addFormat(name, re);
  // Any format the spec adds later still compiles; it is just not checked until listed above.
  const declared = loadSpecFile(join(SPEC_DIR, 'data/string-formats.yaml'));
  if (isObject(declared)) {
    for (const name of Object.keys(declared)) {
      if (name.startsWith('mx-') && !(name in known)) ajv.addFormat(name, true);
    }
  }
  sharedAjv = ajv;
  return ajv;
}

/** The spec's JSON schema for a response, with $refs inlined; throws when the spec defines none. */
export function specResponseSchema(api: SpecApi, method: string, path: string, status: number | string): SchemaObject {
  const op = findSpecOperation(api, method, path);
  const responses = resolveRefs(op.operation.responses, op.file);
  if (!isObject(responses)) throw new Error(`${op.fullTemplate} has no responses`);
  const code = String(status);
  const response = responses[code] ?? responses[`${code[0]}XX`] ?? responses.default;
  if (!isObject(response)) {
    throw new Error(`the spec defines no ${code} response for ${method.toUpperCase()} ${op.fullTemplate}`);
  }
  const content = response.content;
  const json = isObject(content) ? content['application/json'] : undefined;
  const schema = isObject(json) ? json.schema : undefined;
  if (!isObject(schema)) {
    throw new Error(`the spec gives no JSON schema for ${code} of ${method.toUpperCase()} ${op.fullTemplate}`);
  }
  return schema;
}

/** The spec's JSON schema for an operation's request body. */
export function specRequestSchema(api: SpecApi, method: string, path: string): SchemaObject {
  const op = findSpecOperation(api, method, path);
  const body = resolveRefs(op.operation.requestBody, op.file);
  const content = isObject(body) ? body.content : undefined;
  const json = isObject(content) ? content['application/json'] : undefined;
  const schema = isObject(json) ? json.schema : undefined;
  if (!isObject(schema)) throw new Error(`the spec gives no JSON request schema for ${method.toUpperCase()} ${op.fullTemplate}`);
  return schema;
}

function formatErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `  ${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

/** Throws an AssertionError listing every ajv error when `body` does not match the spec's response schema. */
export function assertMatchesSpec(
  api: SpecApi,
  method: string,
  path: string,
  status: number | string,
  body: unknown,
): void {
  const key = `${api} ${method.toLowerCase()} ${path} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = specAjv().compile(specResponseSchema(api, method, path, status));
    validators.set(key, validate);
  }
  if (!validate(body)) {
    throw new AssertionError({
      message: `${method.toUpperCase()} ${path} ${status} does not match the ${api} spec:\n${formatErrors(validate.errors)}`,
      actual: body,
      operator: 'assertMatchesSpec',
    });
  }
}

/** Same check for a request body, for tests that build requests from spec examples. */
export function assertRequestMatchesSpec(api: SpecApi, method: string, path: string, body: unknown): void {
  const key = `request ${api} ${method.toLowerCase()} ${path}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = specAjv().compile(specRequestSchema(api, method, path));
    validators.set(key, validate);
  }
  if (!validate(body)) {
    throw new AssertionError({
      message: `request body for ${method.toUpperCase()} ${path} does not match the ${api} spec:\n${formatErrors(validate.errors)}`,
      actual: body,
      operator: 'assertRequestMatchesSpec',
    });
  }
}
