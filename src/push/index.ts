// Push: push rules API, notification counts, pushers and delivery to push gateways.
export { createPushRulesService, checkActions } from './rules-service.js';
export type { PushRulesService, PushRulesServiceDeps, PushRuleBody } from './rules-service.js';
