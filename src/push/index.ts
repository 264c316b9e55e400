// Push: push rules API, notification counts, pushers and delivery to push gateways.
export { createPushRulesService, checkActions } from './rules-service.js';
export type { PushRulesService, PushRulesServiceDeps, PushRuleBody } from './rules-service.js';
export { createPushService } from './service.js';
export type { PushService, PushServiceDeps, SetPusherBody, UnreadCounts } from './service.js';
export { DEFAULT_GATEWAY_OPTIONS, buildNotification } from './gateway-sender.js';
export type { GatewaySenderOptions } from './gateway-sender.js';
export { threadIdOf } from './evaluator.js';
export { unreadCountsDecorator } from './sync-decorator.js';
