import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertMatchesSpec } from '../../helpers/spec-schemas.js';
import { enc, startReadTestServer, type Json, type ReadTestServer, type TestUser } from '../rooms/read/helpers.js';

// Relations, threads and aggregations through the real server.

const RELATIONS = '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}';
const RELATIONS_REL = '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}';
const RELATIONS_REL_TYPE = '/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}';
const THREADS = '/_matrix/client/v1/rooms/{roomId}/threads';

function relationsOf(ev: Json): Json {
  return ((ev.unsigned as Json | undefined)?.['m.relations'] ?? {}) as Json;
}

describe('relations and threads', () => {
  let s: ReadTestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let roomId: string;

  before(async () => {
    s = await startReadTestServer();
    alice = await s.user('alice');
    bob = await s.user('bob');
    carol = await s.user('carol');
    roomId = await s.createRoom(alice, { preset: 'public_chat' });
    await s.ok(bob, 'POST', `/v3/join/${enc(roomId)}`, {});
  });
  after(() => s.close());

  const thread = (root: string) => ({ 'm.relates_to': { rel_type: 'm.thread', event_id: root, is_falling_back: true, 'm.in_reply_to': { event_id: root } } });

  test('a thread with replies: relations list, m.thread aggregation and thread list', async () => {
    const root = await s.send(alice, roomId, 'thread root');
    const r1 = await s.send(bob, roomId, 'reply one', thread(root));
    const r2 = await s.send(bob, roomId, 'reply two', thread(root));

    const rel = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}`);
    assertMatchesSpec('client-server', 'get', RELATIONS, 200, rel);
    assert.deepEqual((rel.chunk as Json[]).map((e) => e.event_id), [r2, r1], 'newest first by default');

    const fwd = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?dir=f&limit=1`);
    assertMatchesSpec('client-server', 'get', RELATIONS_REL, 200, fwd);
    assert.deepEqual((fwd.chunk as Json[]).map((e) => e.event_id), [r1]);
    assert.equal(typeof fwd.next_batch, 'string');
    const next = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?dir=f&limit=1&from=${enc(fwd.next_batch as string)}`);
    assert.deepEqual((next.chunk as Json[]).map((e) => e.event_id), [r2]);

    const back = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}?dir=b&limit=1`);
    assert.deepEqual((back.chunk as Json[]).map((e) => e.event_id), [r2]);
    const back2 = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}?dir=b&limit=1&from=${enc(back.next_batch as string)}`);
    assert.deepEqual((back2.chunk as Json[]).map((e) => e.event_id), [r1]);
    // A /messages token works as `from`: backwards from the end of the room sees both replies.
    const msgs = await s.ok(alice, 'GET', `/v3/rooms/${enc(roomId)}/messages?dir=b&limit=1`);
    const fromMessages = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}?dir=b&from=${enc(msgs.start as string)}`);
    assert.deepEqual((fromMessages.chunk as Json[]).map((e) => e.event_id), [r2, r1]);

    const typed = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread/m.reaction`);
    assertMatchesSpec('client-server', 'get', RELATIONS_REL_TYPE, 200, typed);
    assert.deepEqual(typed.chunk, []);

    const threads = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/threads`);
    assertMatchesSpec('client-server', 'get', THREADS, 200, threads);
    const [first] = threads.chunk as Json[];
    assert.ok(first);
    assert.equal(first.event_id, root);
    const agg = relationsOf(first)['m.thread'] as Json;
    assert.equal(agg.count, 2);
    assert.equal(agg.current_user_participated, true, 'alice sent the root');
    assert.equal((agg.latest_event as Json).event_id, r2);

    // Bob replied; carol never took part.
    const bobView = await s.ok(bob, 'GET', `/v1/rooms/${enc(roomId)}/threads?include=participated`);
    assert.ok((bobView.chunk as Json[]).some((e) => e.event_id === root));
    await s.ok(carol, 'POST', `/v3/join/${enc(roomId)}`, {});
    const carolView = await s.ok(carol, 'GET', `/v1/rooms/${enc(roomId)}/threads?include=participated`);
    assert.deepEqual(carolView.chunk, []);
    const carolAll = await s.ok(carol, 'GET', `/v1/rooms/${enc(roomId)}/threads?include=all`);
    const carolRoot = (carolAll.chunk as Json[]).find((e) => e.event_id === root);
    assert.ok(carolRoot);
    assert.equal((relationsOf(carolRoot)['m.thread'] as Json).current_user_participated, false);
  });

  test('threads are ordered by latest reply and paginate', async () => {
    const older = await s.send(alice, roomId, 'older root');
    const newer = await s.send(alice, roomId, 'newer root');
    await s.send(bob, roomId, 'in newer', thread(newer));
    await s.send(bob, roomId, 'in older, latest activity', thread(older));
    const page1 = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/threads?limit=1`);
    assertMatchesSpec('client-server', 'get', THREADS, 200, page1);
    assert.deepEqual((page1.chunk as Json[]).map((e) => e.event_id), [older]);
    const page2 = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/threads?limit=1&from=${enc(page1.next_batch as string)}`);
    assert.deepEqual((page2.chunk as Json[]).map((e) => e.event_id), [newer]);
  });

  test('an edit shows as the m.replace aggregation; the original content is left alone', async () => {
    const original = await s.send(alice, roomId, 'I like cake');
    const edit = (text: string) => ({
      'm.new_content': { msgtype: 'm.text', body: text },
      'm.relates_to': { rel_type: 'm.replace', event_id: original },
    });
    await s.send(alice, roomId, '* I like pie', edit('I like pie'));
    const latest = await s.send(alice, roomId, '* I like chocolate cake', edit('I like chocolate cake'));
    // Not valid: another sender may not replace alice's event.
    await s.send(bob, roomId, '* bob was here', edit('bob was here'));

    const rel = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(original)}/m.replace`);
    assert.equal((rel.chunk as Json[]).length, 3, 'the relations endpoint lists every child');

    const ev = await s.ok(alice, 'GET', `/v3/rooms/${enc(roomId)}/event/${enc(original)}`);
    assert.equal((ev.content as Json).body, 'I like cake');
    // The aggregation is bundled wherever the reader serialises with it; /relations and /threads always do.
    const parentViaRelations = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(original)}?limit=50`);
    assert.ok(Array.isArray(parentViaRelations.chunk));
    const root = await s.send(alice, roomId, 'edited root');
    await s.send(bob, roomId, 'reply', thread(root));
    const rootEdit = await s.send(alice, roomId, '* edited root!', {
      'm.new_content': { msgtype: 'm.text', body: 'edited root!' },
      'm.relates_to': { rel_type: 'm.replace', event_id: root },
    });
    const threads = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/threads?limit=1`);
    const [listed] = threads.chunk as Json[];
    assert.ok(listed);
    assert.equal(listed.event_id, root);
    assert.equal(((relationsOf(listed)['m.replace'] as Json).event_id), rootEdit);
    assert.equal((listed.content as Json).body, 'edited root', 'v1.7+: servers do not replace content');
    void latest;
  });

  test('reactions are listed as relations but not aggregated (v1.7+); references are', async () => {
    const target = await s.send(alice, roomId, 'react to me');
    const res = await s.ok(bob, 'PUT', `/v3/rooms/${enc(roomId)}/send/m.reaction/react1`, {
      'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: '👍' },
    });
    const ref = await s.send(bob, roomId, 'see above', { 'm.relates_to': { rel_type: 'm.reference', event_id: target } });
    const rel = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(target)}/m.annotation/m.reaction`);
    assert.deepEqual((rel.chunk as Json[]).map((e) => e.event_id), [res.event_id]);

    // A thread reply to the target makes it appear in /threads with its aggregations.
    await s.send(bob, roomId, 'thread on it', thread(target));
    const threads = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/threads?limit=1`);
    const [listed] = threads.chunk as Json[];
    assert.ok(listed);
    const relations = relationsOf(listed);
    assert.equal(relations['m.annotation'], undefined);
    assert.deepEqual(relations['m.reference'], { chunk: [{ event_id: ref }] });
  });

  test('recurse follows relations of relations', async () => {
    const root = await s.send(alice, roomId, 'root for recursion');
    const reply = await s.send(bob, roomId, 'reply', thread(root));
    const reaction = await s.ok(alice, 'PUT', `/v3/rooms/${enc(roomId)}/send/m.reaction/react2`, {
      'm.relates_to': { rel_type: 'm.annotation', event_id: reply, key: 'x' },
    });
    const flat = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}`);
    assert.deepEqual((flat.chunk as Json[]).map((e) => e.event_id), [reply]);
    const deep = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}?recurse=true`);
    assertMatchesSpec('client-server', 'get', RELATIONS, 200, deep);
    assert.deepEqual((deep.chunk as Json[]).map((e) => e.event_id), [reaction.event_id, reply]);
    assert.equal(deep.recursion_depth, 3);
  });

  test('errors: unknown event, outsider, bad include, bad token; redacted children vanish', async () => {
    const missing = await s.call(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc('$nope')}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errcode, 'M_NOT_FOUND');
    const outsider = await s.user('dave');
    const privateRoom = await s.createRoom(alice, { preset: 'private_chat' });
    const secret = await s.send(alice, privateRoom, 'secret');
    const denied = await s.call(outsider, 'GET', `/v1/rooms/${enc(privateRoom)}/relations/${enc(secret)}`);
    assert.equal(denied.status, 403);
    assert.equal((await s.call(outsider, 'GET', `/v1/rooms/${enc(privateRoom)}/threads`)).status, 403);
    assert.equal((await s.call(alice, 'GET', `/v1/rooms/${enc(roomId)}/threads?include=mine`)).body.errcode, 'M_INVALID_PARAM');
    assert.equal((await s.call(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(secret)}?from=zzz`)).status, 404);

    const root = await s.send(alice, roomId, 'redaction root');
    const reply = await s.send(bob, roomId, 'to be redacted', thread(root));
    await s.ok(bob, 'PUT', `/v3/rooms/${enc(roomId)}/redact/${enc(reply)}/red1`, {});
    const rel = await s.ok(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}`);
    assert.deepEqual(rel.chunk, []);
    const bad = await s.call(alice, 'GET', `/v1/rooms/${enc(roomId)}/relations/${enc(root)}?from=zzz`);
    assert.equal(bad.body.errcode, 'M_INVALID_PARAM');
  });
});
