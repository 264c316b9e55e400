import type { UserId } from '../../types/ids.js';
import type { JsonObject } from '../../types/json.js';
import type { RemoteKeysPort } from '../../users/e2e/index.js';
import { federationPath, type FederationClient, type TransactionSender } from '../outbound/index.js';

// The e2e service's RemoteKeysPort over federation: /keys/query and /keys/claim naming other servers' users
// ask those servers (POST /_matrix/federation/v1/user/keys/query|claim), and to-device messages for their
// users go out as m.direct_to_device EDUs. A server that cannot be reached ends up in the client's `failures`.

export function createRemoteKeys(client: Pick<FederationClient, 'postJson'>, sender: Pick<TransactionSender, 'sendEdus'>): RemoteKeysPort {
  const timeout = (ms: number) => Math.min(Math.max(ms, 1_000), 60_000);
  return {
    queryKeys: (server, deviceKeys, timeoutMs) =>
      client.postJson(server, federationPath`/_matrix/federation/v1/user/keys/query`, { device_keys: deviceKeys }, { timeoutMs: timeout(timeoutMs), retries: 0 }),
    claimKeys: (server, oneTimeKeys, timeoutMs) =>
      client.postJson(server, federationPath`/_matrix/federation/v1/user/keys/claim`, { one_time_keys: oneTimeKeys }, { timeoutMs: timeout(timeoutMs), retries: 0 }),
    sendToDevice: (server: string, from: UserId, type: string, messageId: string, messages: Record<UserId, Record<string, JsonObject>>) =>
      sender.sendEdus([server], [{ eduType: 'm.direct_to_device', content: { sender: from, type, message_id: messageId, messages } }]),
  };
}
