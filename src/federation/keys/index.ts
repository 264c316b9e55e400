// The keyring service: remote server keys (fetch, verify, cache), event signature checks, and the notary.
export { createKeyring, keyRequestId } from './keyring.js';
export type { Keyring, KeyringDeps, KeyringOptions, KeyLookupOptions, KeyFetchHttp, KeyFetchOptions } from './keyring.js';
export { createNotary } from './notary.js';
export type { Notary, NotaryCriteria, NotaryDeps } from './notary.js';
export { checkKeyResponse, effectiveValidUntil, KeyResponseError, KEY_VALIDITY_CAP_MS } from './key-response.js';
export type { CheckedKeyResponse } from './key-response.js';
