import type { Config } from '../../config/types.js';
import type { SigningKey } from '../../crypto/index.js';
import type { Logger } from '../../http/logger.js';
import type { Storage } from '../../storage/interfaces/index.js';
import type { JsonObject } from '../../types/json.js';
import { createKeyring, createNotary, type Keyring, type KeyringOptions, type Notary } from '../keys/index.js';
import { createServerResolver, systemSrvResolver, type ServerResolver, type SrvResolver } from './discovery.js';
import { createFederationClient, type FederationClient } from './federation-client.js';
import { createHttpTransport, type AddressLookup, type HttpTransport } from './http-transport.js';
import { createIpPolicy, type IpPolicy } from './ip-ranges.js';
import { createTransactionSender, type PduLoader, type TransactionSender } from './transaction-sender.js';
import type { BackoffPolicy } from './backoff.js';

// The federation service the composition root builds: the outbound client (discovery, SSRF guard, signing),
// the keyring and notary, and the per-destination transaction sender. Route layers (src/federation/inbound)
// and the later room-federation code use it through this one object.

export interface FederationServiceDeps {
  config: Config;
  logger: Logger;
  storage: Storage;
  /** [0] signs requests; all are ours for key look-ups of our own name. */
  signingKeys: readonly SigningKey[];
  now: () => number;
  /** Where queued PDUs are loaded from; defaults to the room store. */
  pdus?: PduLoader;
  /** Test seams: DNS, SRV and the transport. */
  transport?: HttpTransport;
  addressLookup?: AddressLookup;
  /** Extra certificate authorities (PEM) for outbound TLS: federation_custom_ca_list, read by main.ts. */
  caCertificates?: readonly Buffer[];
  srv?: SrvResolver;
  keyringOptions?: KeyringOptions;
  backoff?: Partial<BackoffPolicy>;
}

export interface FederationService {
  readonly serverName: string;
  readonly client: FederationClient;
  readonly resolver: ServerResolver;
  /**
   * Which addresses outbound requests may reach (ip_range_blacklist / ip_range_whitelist): federation's own,
   * and the one the server's other outbound callers (push gateways, remote media) share.
   */
  readonly ipPolicy: IpPolicy;
  readonly keyring: Keyring;
  readonly notary: Notary;
  readonly sender: TransactionSender;
  /** Inbound side of federation_domain_whitelist: may this server talk to us? */
  isOriginAllowed(origin: string): boolean;
  /** Stops sending (in-flight sends end quickly) and drops pooled connections. */
  close(): Promise<void>;
}

function roomStorePduLoader(storage: Storage): PduLoader {
  return {
    async loadPdus(eventIds) {
      const events = await storage.rooms.getEvents(eventIds);
      const out = new Map<string, JsonObject>();
      for (const [id, ev] of events) out.set(id, ev.pdu as unknown as JsonObject);
      return out;
    },
  };
}

export function createFederationService(deps: FederationServiceDeps): FederationService {
  const { config } = deps;
  const signingKey = deps.signingKeys[0];
  if (!signingKey) throw new Error('federation needs a signing key');
  const logger = deps.logger;
  const ipPolicy = createIpPolicy(config.ipRangeBlacklist, config.ipRangeWhitelist);
  const transport =
    deps.transport ??
    createHttpTransport({ ...(deps.addressLookup ? { lookup: deps.addressLookup } : {}), ...(deps.caCertificates ? { ca: deps.caCertificates } : {}) });
  const resolver = createServerResolver({
    transport,
    srv: deps.srv ?? systemSrvResolver,
    ipPolicy,
    verifyCertificates: config.federationVerifyCertificates,
    overrides: config.federationTestOverrides,
    logger: logger.child({ part: 'discovery' }),
    now: deps.now,
  });
  const client = createFederationClient({
    serverName: config.serverName,
    signingKey,
    transport,
    resolver,
    ipPolicy,
    verifyCertificates: config.federationVerifyCertificates,
    domainWhitelist: config.federationDomainWhitelist,
    logger: logger.child({ part: 'client' }),
  });
  const keyring = createKeyring({
    serverName: config.serverName,
    signingKeys: deps.signingKeys,
    oldSigningKeys: config.oldSigningKeys,
    trustedKeyServers: config.trustedKeyServers,
    store: deps.storage.serverKeys,
    http: client,
    logger: logger.child({ part: 'keyring' }),
    now: deps.now,
    ...(deps.keyringOptions ? { options: deps.keyringOptions } : {}),
  });
  const notary = createNotary({ serverName: config.serverName, signingKeys: deps.signingKeys, store: deps.storage.serverKeys, keyring });
  const sender = createTransactionSender({
    serverName: config.serverName,
    store: deps.storage.federation,
    client,
    pdus: deps.pdus ?? roomStorePduLoader(deps.storage),
    logger: logger.child({ part: 'sender' }),
    now: deps.now,
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
  });
  // Resume destinations that had queued items when the server last stopped.
  sender.start().catch((err: unknown) => logger.error({ err }, 'could not resume federation queues'));
  const whitelist = config.federationDomainWhitelist === null ? null : new Set(config.federationDomainWhitelist);
  let closing: Promise<void> | null = null;
  return {
    serverName: config.serverName,
    client,
    resolver,
    ipPolicy,
    keyring,
    notary,
    sender,
    isOriginAllowed: (origin) => whitelist === null || whitelist.has(origin),
    close() {
      closing ??= (async () => {
        const stopping = sender.close();
        // Cutting pooled sockets makes an in-flight /send fail at once instead of holding shutdown.
        transport.close();
        await stopping;
      })();
      return closing;
    },
  };
}
