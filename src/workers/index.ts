export type { Bus, BusHandler, Unsubscribe } from './bus.js';
export { BusClosedError } from './bus.js';
export { InProcessBus } from './in-process-bus.js';
export { RedisBus } from './redis-bus.js';
export type { RedisBusOptions } from './redis-bus.js';
export { createBus } from './create-bus.js';
export type { BusOptions } from './create-bus.js';
