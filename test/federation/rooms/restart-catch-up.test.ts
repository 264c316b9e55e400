import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientEvent, createClient, RoomEvent, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';
import type { RegisteredUser } from '../../helpers/users.js';
import { api, bodies, enc, membership, send, startFederation, startPersistent, until, user, type FedServer } from './harness.js';

// A server that was down gets what it missed: hs2 is stopped, hs1's users send 100 messages (queued
// durably per destination), hs2 starts again on the same database, and once it talks to hs1 again the
// queue drains and hs2's user sees all 100. A matrix-js-sdk client on hs2 watches the room live before.

(sdkLogger as unknown as { disableAll(): void }).disableAll();

describe('federation: a stopped server catches up after a restart', () => {
  const overrides: Record<string, string> = {};
  let hs1: FedServer;
  let hs2: FedServer;
  let stopHs2: () => Promise<void>;
  let dir: string;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  let sdk: MatrixClient | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-fed-restart-'));
    [hs1] = (await startFederation(['hs1.test'], overrides)) as [FedServer];
    ({ fed: hs2, stop: stopHs2 } = await startPersistent('hs2.test', dir, overrides));
    alice = await user(hs1, 'alice');
    bob = await user(hs2, 'bob');
    const created = await api(hs1, alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '12' });
    roomId = created.body.room_id as string;
    const joined = await api(hs2, bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}?via=hs1.test`, {});
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    await until('hs1 sees bob', async () => (await membership(hs1, alice, roomId, bob.userId)) === 'join');
  });
  after(async () => {
    sdk?.stopClient();
    await stopHs2?.().catch(() => {});
    await hs1?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('matrix-js-sdk on hs2 receives a message sent on hs1 live', async () => {
    sdk = createClient({ baseUrl: hs2.server.baseUrl, accessToken: bob.accessToken, userId: bob.userId, deviceId: bob.deviceId });
    const seen = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('js-sdk did not see the message')), 15000);
      sdk?.on(RoomEvent.Timeline, (ev: MatrixEvent) => {
        if (ev.getRoomId() === roomId && ev.getType() === 'm.room.message' && ev.getContent().body === 'hello over federation') {
          clearTimeout(timer);
          resolve(ev.getSender() ?? '');
        }
      });
    });
    const prepared = new Promise<void>((resolve) => sdk?.once(ClientEvent.Sync, () => resolve()));
    await sdk.startClient({ initialSyncLimit: 10 });
    await prepared;
    await send(hs1, alice, roomId, 'hello over federation');
    assert.equal(await seen, alice.userId);
    sdk.stopClient();
  });

  test('hs2 is down while hs1 sends 100 messages; after its restart hs2 has all of them', async () => {
    await stopHs2();
    const sent: string[] = [];
    for (let i = 0; i < 100; i++) {
      const text = `missed ${i}`;
      await send(hs1, alice, roomId, text);
      sent.push(text);
    }
    ({ fed: hs2, stop: stopHs2 } = await startPersistent('hs2.test', dir, overrides));
    // hs2 speaking to hs1 tells hs1 it is back, so hs1 sends what waited instead of waiting out its backoff.
    await send(hs2, bob, roomId, 'back again');
    await until('hs2 has all 100 messages', async () => {
      const seen = await bodies(hs2, bob, roomId);
      return sent.every((t) => seen.includes(t));
    }, 30000);
    await until('hs1 has the message sent after the restart', async () => (await bodies(hs1, alice, roomId)).includes('back again'));
  });
});
