import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { command, roomWithBot, startHarness, waitFor, type Harness } from './harness.js';

// The bridge as its own application service against a real hearth server: the bot joins on invite and answers
// commands; its public server is up.

describe('slack-webhooks bridge start', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });

  after(() => h?.close());

  it('joins a room it is invited to and answers "!slack help"', async () => {
    const alice = await h.user('alice');
    const roomId = await roomWithBot(h, alice);
    const help = await command(h, alice, roomId, '!slack help');
    assert.match(help, /^Commands:/);
    assert.match(help, /!slack help/);
    assert.match(await command(h, alice, roomId, '!slack frobnicate'), /Unknown command "frobnicate"/);
  });

  it('serves /health on its public port', async () => {
    const res = await fetch(`${h.publicUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'OK');
    assert.equal((await fetch(`${h.publicUrl}/nope`)).status, 404);
  });

  it('a room linked in the config file is joined at start and cannot be unlinked by command', async () => {
    const carol = await h.user('carol');
    const { room_id: roomId } = await h.api<{ room_id: string }>(carol.accessToken, 'POST', '/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    h.config.links.push({ room_id: roomId, webhook_url: 'https://hooks.example.org/services/T/B/X', team_id: 'T9', channel_id: 'C9' });
    await h.restartBridge();
    await waitFor(async () => {
      const m = await h.api<{ joined: Record<string, unknown> }>(carol.accessToken, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`);
      return h.bridge.ctx.botUserId in m.joined;
    }, 'the bot to join the configured room');
    const status = await command(h, carol, roomId, '!slack status');
    assert.match(status, /incoming webhook at hooks\.example\.org/);
    assert.match(status, /Slack channel C9 of team T9/);
    assert.match(status, /Linked in the bridge's config file/);
    assert.match(await command(h, carol, roomId, '!slack unlink'), /config file; remove it there/);
    assert.equal((await h.bridge.ctx.links.getByChannel('T9', 'C9'))?.roomId, roomId);
  });
});
