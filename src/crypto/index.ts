export * from './base64.js';
export * from './canonical-json.js';
export * from './ed25519.js';
export * from './key-file.js';
export * from './signing.js';
export * from './hashes.js';
