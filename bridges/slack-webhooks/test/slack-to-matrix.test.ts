import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RegisteredUser } from '../../../test/helpers/users.js';
import { slackSignature } from '../src/slack-inbound/verify.js';
import { command, recentEvents, roomWithBot, startHarness, waitFor, type Harness } from './harness.js';

// Slack -> Matrix end to end: a real hearth, the bridge, and signed Events API / outgoing-webhook / generic webhook
// POSTs like Slack (or any tool) sends them; the messages are read back from the room through the C-S API.

const SECRET = 'test-signing-secret-0123456789';
let h: Harness;
let alice: RegisteredUser;
let roomId: string;

before(async () => {
  h = await startHarness({ config: { slack: { allow_private_webhook_targets: true, max_retry_delay_ms: 2000, signing_secret: SECRET } } });
  alice = await h.user('alice', 'Alice');
  // Ghosts join through an invite from the bot, so the bot needs the invite level (50 in a private chat).
  roomId = await roomWithBot(h, alice, { power_level_content_override: { users: { [h.bridge.ctx.botUserId]: 50 } } });
  await h.bridge.ctx.links.put({
    roomId,
    webhookUrl: null,
    outgoingToken: 'outgoing-token-1',
    teamId: 'T1',
    channelId: 'C1',
    inboundWebhookId: null,
    source: 'command',
    createdBy: alice.userId,
    createdAt: Date.now(),
  });
});
after(() => h.close());

async function postEvent(payload: unknown, opts: { secret?: string; ts?: number } = {}): Promise<Response> {
  const body = JSON.stringify(payload);
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  return fetch(`${h.publicUrl}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': ts, 'x-slack-signature': slackSignature(opts.secret ?? SECRET, ts, body) },
    body,
  });
}

function messageEvent(eventId: string, event: Record<string, unknown>) {
  return { type: 'event_callback', team_id: 'T1', event_id: eventId, event: { type: 'message', channel: 'C1', ts: '1.0', ...event } };
}

async function messagesWith(marker: string) {
  const events = await recentEvents(h, alice.accessToken, roomId, 50);
  return events.filter((e) => e.type === 'm.room.message' && String(e.content.body).includes(marker));
}

test('url_verification is answered with the challenge', async () => {
  const res = await postEvent({ type: 'url_verification', challenge: 'chal-123', token: 'x' });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { challenge: 'chal-123' });
});

test('a signed message event lands in the room from the ghost, named and formatted, once even if Slack retries', async () => {
  const payload = messageEvent('Ev1', { user: 'U1', text: '*hello* from <@U1> m1 &lt;b&gt;', user_profile: { display_name: 'Ann Slack' } });
  const res = await postEvent(payload);
  assert.equal(res.status, 200, await res.text());
  const ghost = h.bridge.ctx.ghostUserId('T1', 'U1');
  assert.equal(ghost, '@slack_t1_u1:localhost');
  const [ev] = await waitFor(async () => {
    const m = await messagesWith('m1');
    return m.length ? m : null;
  }, 'the Slack message in the room');
  assert.equal(ev?.sender, ghost);
  assert.equal(ev?.content.format, 'org.matrix.custom.html');
  assert.equal(ev?.content.formatted_body, '<strong>hello</strong> from <a href="https://matrix.to/#/%40slack_t1_u1%3Alocalhost">Ann Slack</a> m1 &lt;b&gt;');
  assert.equal(ev?.content.body, '*hello* from Ann Slack m1 <b>');
  const profile = await h.api<{ displayname: string }>(alice.accessToken, 'GET', `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`);
  assert.equal(profile.displayname, 'Ann Slack');

  // Slack retries a callback it thinks failed: same event_id, not posted again.
  assert.equal((await postEvent(payload)).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await messagesWith('m1')).length, 1);
});

test('a bad signature or a stale timestamp is refused and nothing is posted', async () => {
  const bad = await postEvent(messageEvent('Ev2', { user: 'U1', text: 'forged m2' }), { secret: 'wrong' });
  assert.equal(bad.status, 401);
  const stale = await postEvent(messageEvent('Ev3', { user: 'U1', text: 'stale m3' }), { ts: Math.floor(Date.now() / 1000) - 600 });
  assert.equal(stale.status, 401);
  const unsigned = await fetch(`${h.publicUrl}/slack/events`, { method: 'POST', body: JSON.stringify(messageEvent('Ev4', { user: 'U1', text: 'm4' })) });
  assert.equal(unsigned.status, 401);
  // A later good message proves the refused ones would have arrived by now.
  assert.equal((await postEvent(messageEvent('Ev5', { user: 'U1', text: 'after m5' }))).status, 200);
  await waitFor(async () => (await messagesWith('m5')).length === 1, 'the good message');
  assert.equal((await messagesWith('m2')).length + (await messagesWith('m3')).length + (await messagesWith('m4')).length, 0);
});

test('our own posts echoed back by Slack (bot_message / bot_id) are not posted again', async () => {
  assert.equal((await postEvent(messageEvent('Ev6', { subtype: 'bot_message', bot_id: 'B1', username: 'Alice', text: 'echo m6' }))).status, 200);
  assert.equal((await postEvent(messageEvent('Ev7', { user: 'U9', bot_id: 'B1', text: 'echo m7' }))).status, 200);
  assert.equal((await postEvent(messageEvent('Ev8', { user: 'U1', text: 'real m8' }))).status, 200);
  await waitFor(async () => (await messagesWith('m8')).length === 1, 'the real message');
  assert.equal((await messagesWith('echo')).length, 0);
});

test('an outgoing-webhook form post with the right token lands from the ghost; a wrong token is refused', async () => {
  const form = (token: string, text: string, extra: Record<string, string> = {}) =>
    fetch(`${h.publicUrl}/slack/outgoing`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, team_id: 'T1', channel_id: 'C1', user_id: 'U3', user_name: 'bob', text, timestamp: `${Date.now()}.000`, ...extra }).toString(),
    });
  assert.equal((await form('nope', 'forged o1')).status, 403);
  assert.equal((await form('outgoing-token-1', 'echo o2', { user_id: 'USLACKBOT', bot_name: 'Alice' })).status, 200);
  const ok = await form('outgoing-token-1', 'an _outgoing_ o3');
  assert.equal(ok.status, 200);
  const [ev] = await waitFor(async () => {
    const m = await messagesWith('o3');
    return m.length ? m : null;
  }, 'the outgoing-webhook message');
  assert.equal(ev?.sender, '@slack_t1_u3:localhost');
  assert.equal(ev?.content.formatted_body, 'an <em>outgoing</em> o3');
  assert.equal((await messagesWith('o1')).length + (await messagesWith('o2')).length, 0);
});

test('generic inbound webhook: new gives a URL; Slack-style JSON posts as a ghost named after username; bad input is a clear 4xx; revoke ends it', async () => {
  const reply = await command(h, alice, roomId, '!slack webhook new');
  const url = /(http:\/\/\S+\/webhooks\/\S+)/.exec(reply)?.[1];
  assert.ok(url, reply);
  assert.ok(url.startsWith(`${h.publicUrl}/webhooks/`));

  const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const res = await post(JSON.stringify({ username: 'CI', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'build *passed* g1' } }] }));
  assert.equal(res.status, 200, await res.text());
  const [ev] = await waitFor(async () => {
    const m = await messagesWith('g1');
    return m.length ? m : null;
  }, 'the webhook message');
  assert.equal(ev?.content.formatted_body, 'build <strong>passed</strong> g1');
  assert.match(String(ev?.sender), /^@slack_webhook_.*:localhost$/);
  const profile = await h.api<{ displayname: string }>(alice.accessToken, 'GET', `/_matrix/client/v3/profile/${encodeURIComponent(String(ev?.sender))}`);
  assert.equal(profile.displayname, 'CI');

  const noName = await post(JSON.stringify({ text: 'from the bot g2' }));
  assert.equal(noName.status, 200);
  const [ev2] = await waitFor(async () => {
    const m = await messagesWith('g2');
    return m.length ? m : null;
  }, 'the nameless webhook message');
  assert.equal(ev2?.sender, h.bridge.ctx.botUserId);

  const badJson = await post('{not json');
  assert.equal(badJson.status, 400);
  assert.match(((await badJson.json()) as { error: string }).error, /not valid JSON/);
  assert.equal((await post(JSON.stringify({ username: 'x' }))).status, 400);
  assert.equal((await post(JSON.stringify({ text: 'x'.repeat(300 * 1024) }))).status, 413);
  assert.equal((await fetch(`${h.publicUrl}/webhooks/not-a-real-id`, { method: 'POST', body: '{"text":"x"}' })).status, 404);

  assert.match(await command(h, alice, roomId, '!slack webhook list'), new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(await command(h, alice, roomId, '!slack webhook revoke'), /revoked/);
  assert.equal((await post(JSON.stringify({ text: 'after revoke' }))).status, 404);
  // The room's Slack link survives the revoke.
  assert.equal((await h.bridge.ctx.links.getByRoom(roomId))?.outgoingToken, 'outgoing-token-1');
});

test('only users who may change room state can create a webhook', async () => {
  const bob = await h.user('bobuser');
  await h.api(alice.accessToken, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: bob.userId });
  await h.api(bob.accessToken, 'POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, {});
  assert.match(await command(h, bob, roomId, '!slack webhook new'), /Only users who may change/);
});

test('!slack channel routes a Slack channel\'s Events API messages into the room', async () => {
  const other = await roomWithBot(h, alice, { power_level_content_override: { users: { [h.bridge.ctx.botUserId]: 50 } } });
  assert.match(await command(h, alice, other, '!slack channel nope'), /Usage/);
  assert.match(await command(h, alice, other, '!slack channel T1 C1'), /already bridged to another room/);
  assert.match(await command(h, alice, other, '!slack channel T1 C2'), /now come into this room/);
  assert.equal((await postEvent({ type: 'event_callback', team_id: 'T1', event_id: 'EvC2', event: { type: 'message', channel: 'C2', user: 'U1', text: 'routed c2', ts: '2.0' } })).status, 200);
  const ev = await waitFor(async () => (await recentEvents(h, alice.accessToken, other)).find((e) => e.content.body === 'routed c2'), 'the routed message');
  assert.equal(ev.sender, '@slack_t1_u1:localhost');
});
