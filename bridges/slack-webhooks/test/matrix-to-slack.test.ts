import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { RegisteredUser } from '../../../test/helpers/users.js';
import { startFakeSlack, type FakeSlack, type ReceivedPost } from './fake-slack.js';
import { command, roomWithBot, say, startHarness, waitFor, type Harness } from './harness.js';

// End to end: a real hearth server, the bridge, a fake Slack. Matrix users link a room and talk; the fake Slack's
// incoming webhook must receive the right JSON.

describe('Matrix -> Slack through incoming webhooks', () => {
  let h: Harness;
  let slack: FakeSlack;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let roomId: string;
  const hook = '/services/T1/B1/secret';

  async function nextPost(after: number, what: string): Promise<ReceivedPost> {
    return waitFor(() => slack.posts.length > after && slack.posts[after], what);
  }

  before(async () => {
    slack = await startFakeSlack();
    h = await startHarness();
    alice = await h.user('alice', 'Alice Liddell');
    bob = await h.user('bob', 'Bob');
    roomId = await roomWithBot(h, alice, { preset: 'public_chat' });
    await h.api(bob.accessToken, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  });

  after(async () => {
    await h?.close();
    await slack?.close();
  });

  it('only a user allowed to change room state can link; anyone can ask for the status', async () => {
    assert.match(await command(h, bob, roomId, `!slack link ${slack.url(hook)}`), /Only users who may change this room's settings/);
    assert.match(await command(h, bob, roomId, '!slack status'), /not linked/);
    assert.match(await command(h, alice, roomId, '!slack link'), /Usage: !slack link/);
    assert.match(await command(h, alice, roomId, '!slack link ftp://example.org/x'), /cannot be used/);
    const linked = await command(h, alice, roomId, `!slack link ${slack.url(hook)} outtoken123`);
    assert.match(linked, /^Linked/);
    assert.ok(!linked.includes(hook), 'the answer does not repeat the webhook URL');
    const status = await command(h, bob, roomId, '!slack status');
    assert.match(status, /incoming webhook at 127\.0\.0\.1:\d+/);
    assert.match(status, /outgoing-webhook token set/);
    assert.match(status, /Linked by @alice:localhost/);
    assert.equal(slack.attempts.length, 0, 'commands (which carry the secret) are never posted to Slack');
  });

  it('text, HTML, emotes and notices arrive with the display name as the username', async () => {
    const n = slack.posts.length;
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'hello <world> & friends' });
    const text = await nextPost(n, 'the text post');
    assert.equal(text.path, hook);
    assert.deepEqual(text.body, { text: 'hello &lt;world&gt; &amp; friends', username: 'Alice Liddell', mrkdwn: true });
    await say(h, alice, roomId, { msgtype: 'm.text', body: '**bold** and a link', format: 'org.matrix.custom.html', formatted_body: '<strong>bold</strong> and <a href="https://example.org">a link</a>' });
    assert.equal((await nextPost(n + 1, 'the HTML post')).body.text, '*bold* and <https://example.org|a link>');
    await say(h, alice, roomId, { msgtype: 'm.emote', body: 'waves' });
    assert.equal((await nextPost(n + 2, 'the emote')).body.text, '_Alice Liddell_ waves');
    await say(h, bob, roomId, { msgtype: 'm.notice', body: 'a notice' });
    const notice = await nextPost(n + 3, 'the notice');
    assert.equal(notice.body.text, 'a notice');
    assert.equal(notice.body.username, 'Bob');
  });

  it('edits are posted as "(edited) new text" and replies quote what they answer', async () => {
    const n = slack.posts.length;
    const original = await say(h, alice, roomId, { msgtype: 'm.text', body: 'teh original' });
    await nextPost(n, 'the original');
    await say(h, alice, roomId, {
      msgtype: 'm.text',
      body: '* the original',
      'm.new_content': { msgtype: 'm.text', body: 'the original' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    assert.equal((await nextPost(n + 1, 'the edit')).body.text, '(edited) the original');
    await say(h, bob, roomId, {
      msgtype: 'm.text',
      body: '> <@alice:localhost> teh original\n\nagreed',
      'm.relates_to': { 'm.in_reply_to': { event_id: original } },
    });
    const reply = await nextPost(n + 2, 'the reply');
    assert.equal(reply.body.text, '> *Alice Liddell*: teh original\nagreed');
    assert.equal(reply.body.username, 'Bob');
  });

  it('images are links through the bridge media route, which serves the file only with a valid signature', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const up = await fetch(`${h.server.baseUrl}/_matrix/media/v3/upload?filename=cat.png`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'image/png' },
      body: png,
    });
    const { content_uri } = (await up.json()) as { content_uri: string };
    const mediaId = content_uri.split('/').pop() ?? '';
    // The avatar becomes the post's icon, through the same route.
    await h.api(alice.accessToken, 'PUT', `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/avatar_url`, { avatar_url: content_uri });
    const n = slack.posts.length;
    await say(h, alice, roomId, { msgtype: 'm.image', body: 'cat.png', url: content_uri, info: { mimetype: 'image/png' } });
    const post = await nextPost(n, 'the image post');
    const m = /^<(http:\/\/127\.0\.0\.1:\d+\/media\/localhost\/([^/]+)\/cat\.png\?sig=[\w-]+)\|cat\.png>$/.exec(String(post.body.text));
    assert.ok(m, String(post.body.text));
    assert.equal(m[2], mediaId);
    const file = await fetch(m[1] ?? '');
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), png);
    assert.match(String(post.body.icon_url), new RegExp(`^${h.publicUrl}/media/localhost/${mediaId}\\?sig=`));
    assert.equal((await fetch(`${h.publicUrl}/media/localhost/${mediaId}?sig=forged`)).status, 404);
    assert.equal((await fetch(`${h.publicUrl}/media/localhost/${mediaId}`)).status, 404);
  });

  it("a 429 is retried after its Retry-After, and the room's order is kept", async () => {
    slack.script({ status: 429, headers: { 'Retry-After': '1' }, body: 'rate_limited' });
    const attempts = slack.attempts.length;
    const n = slack.posts.length;
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'first' });
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'second' });
    await nextPost(n + 1, 'both posts');
    const tried = slack.attempts.slice(attempts);
    assert.deepEqual(tried.map((a) => a.body.text), ['first', 'first', 'second']);
    assert.ok((tried[1]?.at ?? 0) - (tried[0]?.at ?? 0) >= 900, 'the retry waited for Retry-After');
  });

  it('a 5xx is retried; a 404 (hook removed) is given up without blocking later messages', async () => {
    slack.script({ status: 503, body: 'down' }, { status: 404, body: 'no_service' });
    const n = slack.posts.length;
    const attempts = slack.attempts.length;
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'lost to a 404' });
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'after the 404' });
    const post = await nextPost(n, 'the post after the 404');
    assert.equal(post.body.text, 'after the 404');
    assert.deepEqual(slack.attempts.slice(attempts).map((a) => a.body.text), ['lost to a 404', 'lost to a 404', 'after the 404']);
  });

  it("ghost users' messages are never sent back to Slack", async () => {
    const ghost = h.bridge.ctx.ghostUserId('T1', 'U1');
    const intent = h.bridge.ctx.bridge.getIntent(ghost);
    await intent.join(roomId);
    await intent.sendText(roomId, 'from slack');
    const n = slack.posts.length;
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'after the ghost' });
    await nextPost(n, 'the post after the ghost');
    assert.ok(!slack.attempts.some((a) => a.body.text === 'from slack'));
  });

  it('messages sent while the bridge is stopped are posted once it is back, once each', async () => {
    await h.bridge.stop();
    const n = slack.posts.length;
    for (let i = 0; i < 5; i++) await say(h, alice, roomId, { msgtype: 'm.text', body: `offline ${i}` });
    await h.restartBridge();
    await nextPost(n + 4, 'the offline messages');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(slack.posts.slice(n).map((p) => p.body.text), [0, 1, 2, 3, 4].map((i) => `offline ${i}`));
  });

  it('a post still being retried when the bridge stops is delivered after the restart (it was stored before the ack)', async () => {
    slack.script({ status: 503, body: 'down' });
    const attempts = slack.attempts.length;
    const n = slack.posts.length;
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'survives a restart' });
    await waitFor(() => slack.attempts.length > attempts, 'the first (failed) attempt');
    // The homeserver got its 200 long ago and will not send this event again: only the bridge's store has it.
    await h.restartBridge();
    const post = await nextPost(n, 'the post after the restart');
    assert.equal(post.body.text, 'survives a restart');
    assert.deepEqual(slack.attempts.slice(attempts).map((a) => a.body.text), ['survives a restart', 'survives a restart']);
  });

  it('after unlink nothing more is posted', async () => {
    assert.match(await command(h, bob, roomId, '!slack unlink'), /Only users who may change/);
    assert.match(await command(h, alice, roomId, '!slack unlink'), /^Unlinked/);
    const attempts = slack.attempts.length;
    await say(h, alice, roomId, { msgtype: 'm.text', body: 'not bridged' });
    assert.match(await command(h, alice, roomId, '!slack status'), /not linked/);
    assert.equal(slack.attempts.length, attempts);
  });
});
