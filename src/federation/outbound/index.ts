// Outbound federation: discovery, the guarded HTTP transport, signed requests, transaction queues, and
// the federation service that bundles them with the keyring (src/federation/keys).
export { createFederationService } from './service.js';
export type { FederationService, FederationServiceDeps } from './service.js';
export { createFederationClient, federationPath } from './federation-client.js';
export type { FederationClient, FederationClientDeps, FederationMethod, FederationRequest } from './federation-client.js';
export { FederationRequestError } from './errors.js';
export type { FederationErrorKind } from './errors.js';
export { createServerResolver, orderSrv, parseOverride, systemSrvResolver, DEFAULT_FEDERATION_PORT } from './discovery.js';
export type { ConnectTarget, DiscoveryDeps, ResolvedServer, ServerResolver, SrvResolver } from './discovery.js';
export { createHttpTransport, systemAddressLookup, urlTarget } from './http-transport.js';
export type { AddressLookup, HttpTransport, TransportRequest, TransportResponse } from './http-transport.js';
export { createIpPolicy, ALLOW_ALL_IPS } from './ip-ranges.js';
export type { IpPolicy } from './ip-ranges.js';
export { parseXMatrixAuthorization, requestSigningBytes, requestSigningObject, xMatrixAuthorization } from './x-matrix.js';
export type { RequestToSign, XMatrixCredentials } from './x-matrix.js';
export {
  createTransactionSender,
  MAX_EDUS_PER_TRANSACTION,
  MAX_PDUS_PER_TRANSACTION,
} from './transaction-sender.js';
export type { PduLoader, TransactionSender, TransactionSenderDeps } from './transaction-sender.js';
export { DEFAULT_DESTINATION_BACKOFF, nextRetryInterval } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { cacheLifetimeMs, parseWellKnownResponse } from './well-known.js';
export type { WellKnownResult } from './well-known.js';
