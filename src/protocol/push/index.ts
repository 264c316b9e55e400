export * from './types.js';
export { defaultRuleset, defaultOverrideRules, defaultUnderrideRules } from './default-rules.js';
export { mergePushRules, type PushRuleOverride, type UserPushRules } from './merge.js';
export { evaluatePushRules, type PushEvaluation, type PushEvaluationContext } from './evaluate.js';
export { conditionMatches, type PushConditionContext, type PushEvent } from './conditions.js';
export { actionsNotify, actionsHighlight, actionsSound, actionsTweaks, stripHistoricalActions } from './actions.js';
export { PushMatcherCache, compileGlob, matchGlob, prepareText, type GlobMode } from './glob.js';
export { parseKeyPath, escapeKeySegment, lookupPath } from './key-path.js';
