import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerUser, type RegisteredUser } from '../helpers/users.js';
import { call, registerGhost, startAsServer, type AsServer } from '../appservice/as-harness.js';

// Push rules are not run for the members an application service holds exclusively (a bridge's puppets),
// as in Synapse: their client is the bridge, which reads no counts, and a bridged room may have hundreds.
// Everybody else keeps their notifications, and an invite still notifies a puppet it names.

const enc = encodeURIComponent;
type J = Record<string, unknown>;

describe('push rules and application service users', () => {
  let as: AsServer;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let puppet: string;
  let roomId: string;
  let txn = 0;
  const asUser = (method: string, path: string, userId: string, body?: unknown) =>
    as.asCall(method, `${path}${path.includes('?') ? '&' : '?'}user_id=${enc(userId)}`, body);
  const userCall = (user: RegisteredUser, method: string, path: string, body?: unknown) => call(as.server.baseUrl, method, path, user.accessToken, body);

  before(async () => {
    as = await startAsServer({});
    alice = await registerUser(as.server.baseUrl, as.server.config, 'alice');
    bob = await registerUser(as.server.baseUrl, as.server.config, 'bob');
    puppet = await registerGhost(as, '_br_puppet');
    const created = await userCall(alice, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    assert.equal(created.status, 200);
    roomId = String(created.body.room_id);
    assert.equal((await userCall(bob, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {})).status, 200);
    assert.equal((await asUser('POST', `/_matrix/client/v3/join/${enc(roomId)}`, puppet, {})).status, 200);
  });
  after(async () => {
    await as?.close();
  });

  const unread = async (status: { status: number; body: J }) => {
    assert.equal(status.status, 200);
    const room = ((status.body.rooms as J | undefined)?.join as J | undefined)?.[roomId] as J | undefined;
    return (room?.unread_notifications as J | undefined)?.notification_count;
  };

  test("a message notifies the room's users and not a puppet", async () => {
    const sent = await userCall(alice, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${++txn}`, { msgtype: 'm.text', body: 'hello' });
    assert.equal(sent.status, 200);
    assert.equal(await unread(await userCall(bob, 'GET', '/_matrix/client/v3/sync')), 1);
    assert.equal(await unread(await asUser('GET', '/_matrix/client/v3/sync', puppet)), 0);
    const notifications = await asUser('GET', '/_matrix/client/v3/notifications', puppet);
    assert.equal(notifications.status, 200);
    assert.deepEqual(notifications.body.notifications, []);
  });

  test('a message from a puppet still notifies the real members', async () => {
    const sent = await asUser('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${++txn}`, puppet, { msgtype: 'm.text', body: 'from the bridge' });
    assert.equal(sent.status, 200);
    const notifications = await userCall(alice, 'GET', '/_matrix/client/v3/notifications');
    assert.equal(notifications.status, 200);
    assert.deepEqual(
      (notifications.body.notifications as J[]).map((n) => (n.event as J).event_id),
      [sent.body.event_id],
    );
  });

  test('an invite still notifies the puppet it names', async () => {
    const invitee = await registerGhost(as, '_br_invitee');
    const invited = await userCall(alice, 'POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: invitee });
    assert.equal(invited.status, 200);
    const notifications = await asUser('GET', '/_matrix/client/v3/notifications', invitee);
    assert.equal(notifications.status, 200);
    const events = (notifications.body.notifications as J[]).map((n) => n.event as J);
    assert.deepEqual(
      events.map((e) => [e.type, e.state_key, (e.content as J).membership]),
      [['m.room.member', invitee, 'invite']],
    );
  });
});
