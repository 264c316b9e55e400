import { shellOnlyServices } from '../helpers/http.js';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '@koa/router';
import { createHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/logger.js';
import { compileValidator, queryBool, queryInt, queryString, validateBody } from '../../src/http/validate.js';
import { isMatrixError } from '../../src/errors/index.js';
import { generateSigningKey } from '../../src/crypto/index.js';
import { serveApp, testConfig } from '../helpers/http.js';

function errcode(code: string, field?: string) {
  return (err: unknown) => isMatrixError(err) && err.errcode === code && (field === undefined || err.message.includes(field));
}

const schema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 10 },
    visibility: { enum: ['public', 'private'] },
    power: { type: 'object', properties: { users: { type: 'object', additionalProperties: { type: 'integer' } } } },
  },
  required: ['name'],
} as const;

describe('compileValidator', () => {
  const check = compileValidator<{ name: string }>(schema);

  test('a matching value passes through', () => {
    assert.deepEqual(check({ name: 'x' }), { name: 'x' });
  });

  test('a missing required field is M_MISSING_PARAM naming it', () => {
    assert.throws(() => check({}), errcode('M_MISSING_PARAM', 'name'));
  });

  test('a wrong type is M_BAD_JSON naming the nested field', () => {
    assert.throws(() => check({ name: 'x', power: { users: { '@a:b': 'high' } } }), errcode('M_BAD_JSON', 'power.users.@a:b'));
  });

  test('a value out of its allowed set is M_INVALID_PARAM', () => {
    assert.throws(() => check({ name: 'x', visibility: 'secret' }), errcode('M_INVALID_PARAM', 'visibility'));
    assert.throws(() => check({ name: 'much too long a name' }), errcode('M_INVALID_PARAM', 'name'));
  });
});

describe('validateBody over HTTP', () => {
  let baseUrl = '';
  let close: () => Promise<void> = async () => {};
  before(async () => {
    const router = new Router();
    const body = validateBody<{ name: string }>(schema);
    router.post('/_test/rooms', body, (ctx) => {
      ctx.body = { hello: body.body(ctx).name };
    });
    const app = createHttpApp(
      { config: testConfig(), logger: createLogger('silent'), signingKeys: [generateSigningKey('t')], services: shellOnlyServices() },
      [],
      { extraRouters: [router] },
    );
    ({ baseUrl, close } = await serveApp(app));
  });
  after(() => close());

  const post = (body: string) => fetch(`${baseUrl}/_test/rooms`, { method: 'POST', body });

  test('the handler sees the validated body', async () => {
    const res = await post('{"name":"Lobby"}');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { hello: 'Lobby' });
  });

  test('an invalid body never reaches the handler', async () => {
    const res = await post('{"visibility":"public"}');
    assert.equal(res.status, 400);
    const body = (await res.json()) as { errcode: string; error: string };
    assert.equal(body.errcode, 'M_MISSING_PARAM');
    assert.match(body.error, /name/);
  });

  test('a non-object body is M_BAD_JSON and bad JSON is M_NOT_JSON', async () => {
    const arr = await post('["name"]');
    assert.equal(((await arr.json()) as { errcode: string }).errcode, 'M_BAD_JSON');
    const bad = await post('{');
    assert.equal(((await bad.json()) as { errcode: string }).errcode, 'M_NOT_JSON');
  });
});

describe('query parameters', () => {
  test('integers within range are parsed; the default applies when absent', () => {
    assert.equal(queryInt({ limit: '20' }, 'limit', { min: 0, max: 100 }), 20);
    assert.equal(queryInt({}, 'limit', { default: 10 }), 10);
    assert.equal(queryInt({}, 'limit'), undefined);
    assert.equal(queryInt({ limit: ['5', '6'] }, 'limit'), 5);
  });

  test('non-integers and out-of-range values are M_INVALID_PARAM', () => {
    assert.throws(() => queryInt({ limit: 'ten' }, 'limit'), errcode('M_INVALID_PARAM', 'limit'));
    assert.throws(() => queryInt({ limit: '1.5' }, 'limit'), errcode('M_INVALID_PARAM'));
    assert.throws(() => queryInt({ limit: '101' }, 'limit', { max: 100 }), errcode('M_INVALID_PARAM', '100'));
    assert.throws(() => queryInt({ limit: '-1' }, 'limit', { min: 0 }), errcode('M_INVALID_PARAM'));
    assert.throws(() => queryInt({ limit: '99999999999999999' }, 'limit'), errcode('M_INVALID_PARAM'));
  });

  test('booleans and strings', () => {
    assert.equal(queryBool({ full_state: 'true' }, 'full_state', false), true);
    assert.equal(queryBool({}, 'full_state', false), false);
    assert.throws(() => queryBool({ full_state: 'yes' }, 'full_state', false), errcode('M_INVALID_PARAM'));
    assert.equal(queryString({ from: 's1' }, 'from'), 's1');
    assert.equal(queryString({}, 'from'), undefined);
  });
});
