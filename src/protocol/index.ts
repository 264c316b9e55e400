// Public surface of the pure protocol core. Services import from here, never from the files directly.

export * from './room-versions.js';
export * from './state-key.js';
export * from './identifiers.js';
export * from './redaction.js';
export * from './event-id.js';
export * from './event-format.js';
export * from './event-signing.js';
export * from './history-visibility.js';
export * from './push/index.js';
export * from './auth/index.js';
export * from './state-res/index.js';
export * from './client-event.js';
export * from './server-acl.js';
