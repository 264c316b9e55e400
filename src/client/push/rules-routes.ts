import type { Router } from '@koa/router';
import type { HttpDeps } from '../../http/deps.js';
import { queryString, validateBody } from '../../http/validate.js';
import type { PushAction, PushCondition } from '../../protocol/push/index.js';
import { authenticate, getRequester } from '../requester.js';
import { clientPaths } from '../sync/paths.js';

// GET/PUT/DELETE /pushrules/... (spec data/api/client-server/pushrules.yaml). Bodies are checked against the
// spec's schemas here; the service checks what the schema cannot (rule ids, before/after, action names).

const conditionSchema = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: { type: 'string' },
    key: { type: 'string' },
    pattern: { type: 'string' },
    is: { type: 'string' },
    value: { type: ['string', 'integer', 'boolean', 'null'] },
  },
};

const putRuleSchema = {
  type: 'object',
  required: ['actions'],
  properties: {
    actions: { type: 'array', items: { type: ['string', 'object'] } },
    conditions: { type: 'array', items: conditionSchema },
    pattern: { type: 'string' },
  },
};

const enabledSchema = { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' } } };
const actionsSchema = {
  type: 'object',
  required: ['actions'],
  properties: { actions: { type: 'array', items: { type: ['string', 'object'] } } },
};

interface RuleParams {
  scope: string;
  kind: string;
  ruleId: string;
}

export function registerPushRuleRoutes(router: Router, deps: HttpDeps): void {
  const auth = authenticate(deps);
  const svc = () => deps.services.pushRules;
  const putRule = validateBody<{ actions: PushAction[]; conditions?: PushCondition[]; pattern?: string }>(putRuleSchema);
  const putEnabled = validateBody<{ enabled: boolean }>(enabledSchema);
  const putActions = validateBody<{ actions: PushAction[] }>(actionsSchema);

  router.get([...clientPaths('/pushrules/'), ...clientPaths('/pushrules')], auth, async (ctx) => {
    ctx.body = { global: await svc().getRuleset(getRequester(ctx).userId) };
  });
  router.get([...clientPaths('/pushrules/global/'), ...clientPaths('/pushrules/global')], auth, async (ctx) => {
    ctx.body = await svc().getRuleset(getRequester(ctx).userId);
  });
  router.get(clientPaths('/pushrules/:scope/:kind/:ruleId'), auth, async (ctx) => {
    const p = ctx.params as unknown as RuleParams;
    ctx.body = await svc().getRule(getRequester(ctx).userId, p.scope, p.kind, p.ruleId);
  });
  router.put(clientPaths('/pushrules/:scope/:kind/:ruleId'), auth, putRule, async (ctx) => {
    const p = ctx.params as unknown as RuleParams;
    const before = queryString(ctx.query, 'before');
    const after = queryString(ctx.query, 'after');
    const pos: { before?: string; after?: string } = {};
    if (before !== undefined) pos.before = before;
    if (after !== undefined) pos.after = after;
    await svc().putRule(getRequester(ctx).userId, p.scope, p.kind, p.ruleId, putRule.body(ctx), pos);
    ctx.body = {};
  });
  router.delete(clientPaths('/pushrules/:scope/:kind/:ruleId'), auth, async (ctx) => {
    const p = ctx.params as unknown as RuleParams;
    await svc().deleteRule(getRequester(ctx).userId, p.scope, p.kind, p.ruleId);
    ctx.body = {};
  });
  router.get(clientPaths('/pushrules/:scope/:kind/:ruleId/enabled'), auth, async (ctx) => {
    const p = ctx.params as unknown as RuleParams;
    const rule = await svc().getRule(getRequester(ctx).userId, p.scope, p.kind, p.ruleId);
    ctx.body = { enabled: rule.enabled };
  });
  router.put(clientPaths('/pushrules/:scope/:kind/:ruleId/enabled'), auth, putEnabled, async (ctx) => {
    const p = ctx.params as unknown as RuleParams;
    await svc().setEnabled(getRequester(ctx).userId, p.scope, p.kind, p.ruleId, putEnabled.body(ctx).enabled);
    ctx.body = {};
  });
  router.get(clientPaths('/pushrules/:scope/:kind/:ruleId/actions'), auth, async (ctx) => {
    const p = ctx.params as unknown as RuleParams;
    const rule = await svc().getRule(getRequester(ctx).userId, p.scope, p.kind, p.ruleId);
    ctx.body = { actions: rule.actions };
  });
  router.put(clientPaths('/pushrules/:scope/:kind/:ruleId/actions'), auth, putActions, async (ctx) => {
    const p = ctx.params as unknown as RuleParams;
    await svc().setActions(getRequester(ctx).userId, p.scope, p.kind, p.ruleId, putActions.body(ctx).actions);
    ctx.body = {};
  });
}
