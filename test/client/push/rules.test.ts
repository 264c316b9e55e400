import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import type { TestServer } from '../../helpers/server.js';
import { apiFor, startSyncServer, sync, type Api, type J } from '../sync/helpers.js';

const pushRulesOf = (body: J): J => body.account_data.events.find((e: J) => e.type === 'm.push_rules');

describe('push rules API', () => {
  let server: TestServer;
  let alice: Api;
  before(async () => {
    server = await startSyncServer();
    alice = await apiFor(server, 'alice');
  });
  after(() => server.close());

  test('GET /pushrules/ serves the default ruleset, and initial sync carries it as m.push_rules', async () => {
    const all = await alice.ok('GET', '/v3/pushrules/');
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/pushrules/', 200, all);
    const global = (all as J).global;
    assert.equal(global.override[0].rule_id, '.m.rule.master');
    assert.ok(global.override.some((r: J) => r.rule_id === '.m.rule.is_user_mention'));
    assert.ok(global.underride.some((r: J) => r.rule_id === '.m.rule.message'));
    const g = await alice.ok('GET', '/v3/pushrules/global/');
    assert.deepEqual(g, global);
    const initial = await sync(alice);
    assert.deepEqual(pushRulesOf(initial)?.content, { global });
  });

  test('put, get, order with before/after, enabled, actions, delete; every change reaches /sync', async () => {
    const first = await sync(alice);
    const put = await alice.ok('PUT', '/v3/pushrules/global/content/cake', { pattern: 'cake*lie', actions: ['notify'] });
    assertMatchesSpec('client-server', 'put', '/_matrix/client/v3/pushrules/global/{kind}/{ruleId}', 200, put);
    const inc = await sync(alice, { since: first.next_batch });
    const rules = pushRulesOf(inc)?.content.global;
    assert.equal(rules.content[0].rule_id, 'cake');

    const one = await alice.ok('GET', '/v3/pushrules/global/content/cake');
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/pushrules/global/{kind}/{ruleId}', 200, one);
    assert.deepEqual(one, { rule_id: 'cake', default: false, enabled: true, actions: ['notify'], pattern: 'cake*lie' });

    await alice.ok('PUT', '/v3/pushrules/global/content/pie?after=cake', { pattern: 'pie', actions: [] });
    await alice.ok('PUT', '/v3/pushrules/global/content/tart?before=cake', { pattern: 'tart', actions: [] });
    const order = ((await alice.ok('GET', '/v3/pushrules/global/')) as J).content.map((r: J) => r.rule_id);
    assert.deepEqual(order, ['tart', 'cake', 'pie']);
    const missing = await alice.call('PUT', '/v3/pushrules/global/content/x?before=nope', { pattern: 'x', actions: [] });
    assert.equal(missing.status, 400);

    await alice.ok('PUT', '/v3/pushrules/global/content/cake/enabled', { enabled: false });
    const en = await alice.ok('GET', '/v3/pushrules/global/content/cake/enabled');
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled', 200, en);
    assert.deepEqual(en, { enabled: false });
    await alice.ok('PUT', '/v3/pushrules/global/content/cake/actions', { actions: ['notify', { set_tweak: 'highlight' }] });
    const act = await alice.ok('GET', '/v3/pushrules/global/content/cake/actions');
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions', 200, act);
    assert.deepEqual(act, { actions: ['notify', { set_tweak: 'highlight' }] });

    await alice.ok('DELETE', '/v3/pushrules/global/content/cake');
    const gone = await alice.call('GET', '/v3/pushrules/global/content/cake');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.errcode, 'M_NOT_FOUND');
    assertMatchesSpec('client-server', 'get', '/_matrix/client/v3/pushrules/global/{kind}/{ruleId}', 404, gone.body);
  });

  test('server-default rules: enabled and actions change, cannot be created or deleted', async () => {
    const before = await sync(alice);
    await alice.ok('PUT', '/v3/pushrules/global/override/.m.rule.master/enabled', { enabled: true });
    const inc = await sync(alice, { since: before.next_batch });
    const master = pushRulesOf(inc).content.global.override[0];
    assert.deepEqual([master.rule_id, master.enabled, master.default], ['.m.rule.master', true, true]);
    await alice.ok('PUT', '/v3/pushrules/global/override/.m.rule.master/enabled', { enabled: false });
    await alice.ok('PUT', '/v3/pushrules/global/underride/.m.rule.message/actions', { actions: [] });
    const msg = (await alice.ok('GET', '/v3/pushrules/global/underride/.m.rule.message')) as J;
    assert.deepEqual(msg.actions, []);
    assert.equal(msg.default, true);

    const create = await alice.call('PUT', '/v3/pushrules/global/override/.m.rule.mine', { actions: [] });
    assert.equal(create.status, 400);
    const del = await alice.call('DELETE', '/v3/pushrules/global/override/.m.rule.master');
    assert.equal(del.status, 404);
    const unknownDefault = await alice.call('PUT', '/v3/pushrules/global/override/.m.rule.nope/enabled', { enabled: true });
    assert.equal(unknownDefault.status, 404);
  });

  test('bad input: body without actions, bad kind, content rule without pattern, bad action', async () => {
    const noActions = await alice.call('PUT', '/v3/pushrules/global/override/r1', { conditions: [] });
    assert.equal(noActions.status, 400);
    assert.equal(noActions.body.errcode, 'M_MISSING_PARAM');
    const kind = await alice.call('GET', '/v3/pushrules/global/nope/r1');
    assert.equal(kind.status, 400);
    const noPattern = await alice.call('PUT', '/v3/pushrules/global/content/r1', { actions: [] });
    assert.equal(noPattern.status, 400);
    const badAction = await alice.call('PUT', '/v3/pushrules/global/override/r1', { actions: ['explode'] });
    assert.equal(badAction.status, 400);
    const noAuth = await fetch(`${server.baseUrl}/_matrix/client/v3/pushrules/`);
    assert.equal(noAuth.status, 401);
  });
});
