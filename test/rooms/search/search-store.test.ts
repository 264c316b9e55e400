import assert from 'node:assert/strict';
import { test } from 'node:test';
import { relationOf, searchRowOf, redactedBy } from '../../../src/rooms/relations/extract.js';
import type { StoredEvent } from '../../../src/storage/interfaces/index.js';
import { describeStorage } from '../../helpers/storage.js';

// The relations and search stores on each engine (SQLite FTS5, Postgres tsvector), fed through the indexer's
// pure extraction exactly as the indexer feeds them.

const ROOM = '!room:example.org';
const OTHER = '!other:example.org';

let so = 0;
function ev(id: string, type: string, content: Record<string, unknown>, opts: { room?: string; sender?: string; stateKey?: string } = {}): StoredEvent {
  so++;
  return {
    eventId: id,
    roomId: opts.room ?? ROOM,
    streamOrdering: so,
    depth: so,
    pdu: {
      room_id: opts.room ?? ROOM,
      sender: opts.sender ?? '@alice:example.org',
      type,
      content,
      origin_server_ts: 1000 + so,
      ...(opts.stateKey !== undefined ? { state_key: opts.stateKey } : {}),
    } as StoredEvent['pdu'],
    outlier: false,
    softFailed: false,
    rejectedReason: null,
    replacesState: null,
    redactedBy: null,
    receivedTs: 1000 + so,
  };
}

describeStorage('relations and search stores', (h) => {
  test('indexes text of messages, names and topics and finds it by word, prefix, room and key', async () => {
    const storage = await h.open();
    const events = [
      ev('$a', 'm.room.message', { msgtype: 'm.text', body: 'The quick brown fox jumps' }),
      ev('$b', 'm.room.message', { msgtype: 'm.text', body: 'lazy dogs sleep; quick naps' }),
      ev('$c', 'm.room.name', { name: 'Quickstart room' }, { stateKey: '' }),
      ev('$d', 'm.room.topic', { topic: 'foxes and "quotes"' }, { stateKey: '' }),
      ev('$e', 'm.room.message', { msgtype: 'm.text', body: 'quick elsewhere' }, { room: OTHER }),
      ev('$f', 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$a', key: '👍' } }),
    ];
    await storage.relations.indexBatch({
      name: 'test',
      position: so,
      relations: events.map(relationOf).filter((r) => r !== null),
      search: events.map(searchRowOf).filter((r) => r !== null),
      redacted: [],
    });
    assert.equal(await storage.relations.getIndexPosition('test'), so);

    // Indexing is idempotent: a batch indexed again (two indexers, a retry) adds no second row or hit.
    await storage.relations.indexBatch({ name: 'test', position: so, relations: [], search: events.map(searchRowOf).filter((r) => r !== null), redacted: [] });
    // A batch mixing indexed and new events (rows go in multi-row inserts): each new row gets its own text.
    const late = [ev('$g', 'm.room.message', { msgtype: 'm.text', body: 'zebra crossing' }), ev('$h', 'm.room.message', { msgtype: 'm.text', body: 'yak shaving' })];
    await storage.relations.indexBatch({ name: 'test', position: so, relations: [], search: [...events, ...late].map(searchRowOf).filter((r) => r !== null).reverse(), redacted: [] });
    const only = async (term: string) => (await storage.search.search({ roomIds: [ROOM], terms: [term], keys: ['content.body'], orderBy: 'recent', limit: 10 })).map((x) => x.eventId);
    assert.deepEqual(await only('zebra'), ['$g']);
    assert.deepEqual(await only('yak'), ['$h']);

    const all = ['content.body', 'content.name', 'content.topic'];
    const hits = await storage.search.search({ roomIds: [ROOM], terms: ['quick'], keys: all, orderBy: 'recent', limit: 10 });
    assert.deepEqual(hits.map((x) => x.eventId), ['$c', '$b', '$a']);
    const bodies = await storage.search.search({ roomIds: [ROOM], terms: ['QUICK'], keys: ['content.body'], orderBy: 'rank', limit: 10 });
    assert.deepEqual(new Set(bodies.map((x) => x.eventId)), new Set(['$a', '$b']));
    assert.ok(bodies.every((x) => Number.isFinite(x.rank)));
    assert.equal(await storage.search.count({ roomIds: [ROOM, OTHER], terms: ['quick'], keys: all }), 4);
    // Prefix matching and punctuation in the term that would be query syntax.
    const prefix = await storage.search.search({ roomIds: [ROOM], terms: ['jum "fox"!'], keys: all, orderBy: 'recent', limit: 10 });
    assert.deepEqual(prefix.map((x) => x.eventId), ['$a']);
    assert.deepEqual(await storage.search.search({ roomIds: [ROOM], terms: ['!!!'], keys: all, orderBy: 'rank', limit: 10 }), []);
    const page = await storage.search.search({ roomIds: [ROOM], terms: ['quick'], keys: all, orderBy: 'recent', beforeStream: events[1]?.streamOrdering, limit: 10 });
    assert.deepEqual(page.map((x) => x.eventId), ['$a']);

    // A redaction drops the event from both indexes.
    const redaction = ev('$r', 'm.room.redaction', { redacts: '$a' });
    const target = redactedBy(redaction);
    assert.equal(target, '$a');
    await storage.relations.indexBatch({ name: 'test', position: so, relations: [], search: [], redacted: ['$a', '$f'] });
    const after = await storage.search.search({ roomIds: [ROOM], terms: ['fox'], keys: ['content.body'], orderBy: 'rank', limit: 10 });
    assert.deepEqual(after, []);
    assert.deepEqual(await storage.relations.getRelationsTo(['$a']), []);
  });

  test('children, threads by latest reply, participation', async () => {
    const storage = await h.open();
    const thread = (root: string) => ({ msgtype: 'm.text', body: 'r', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const events = [
      ev('$root1', 'm.room.message', { body: 'one' }),
      ev('$root2', 'm.room.message', { body: 'two' }, { sender: '@bob:example.org' }),
      ev('$t1', 'm.room.message', thread('$root1'), { sender: '@bob:example.org' }),
      ev('$t2', 'm.room.message', thread('$root2'), { sender: '@carol:example.org' }),
      ev('$t3', 'm.room.message', thread('$root1'), { sender: '@carol:example.org' }),
      ev('$edit', 'm.room.message', { body: '* one', 'm.new_content': { body: 'one' }, 'm.relates_to': { rel_type: 'm.replace', event_id: '$root1' } }),
    ];
    await storage.relations.indexBatch({ name: 'test', position: so, relations: events.map(relationOf).filter((r) => r !== null), search: [], redacted: [] });
    const kids = await storage.relations.getChildren('$root1', { dir: 'f', limit: 10 });
    assert.deepEqual(kids.map((k) => k.eventId), ['$t1', '$t3', '$edit']);
    const threadKids = await storage.relations.getChildren('$root1', { relType: 'm.thread', dir: 'b', limit: 1 });
    assert.deepEqual(threadKids.map((k) => k.eventId), ['$t3']);
    const more = await storage.relations.getChildren('$root1', { relType: 'm.thread', dir: 'b', limit: 5, from: (threadKids[0]?.streamOrdering ?? 0) - 1 });
    assert.deepEqual(more.map((k) => k.eventId), ['$t1']);

    const threads = await storage.relations.getThreads(ROOM, { limit: 10 });
    assert.deepEqual(threads.map((t) => [t.rootId, t.count, t.latestEventId]), [['$root1', 2, '$t3'], ['$root2', 1, '$t2']]);
    const bob = await storage.relations.getThreads(ROOM, { limit: 10, participant: '@bob:example.org' });
    // Root senders come from the events table (empty here); the HTTP tests cover them.
    assert.deepEqual(bob.map((t) => t.rootId), ['$root1'], 'bob replied in root1 only');
    const summaries = await storage.relations.getThreadSummaries(['$root1', '$root2', '$t1'], '@carol:example.org');
    assert.deepEqual(
      summaries.map((t) => [t.rootId, t.count, t.latestEventId, t.participated]).sort(),
      [['$root1', 2, '$t3', true], ['$root2', 1, '$t2', true]],
    );
    const withoutCarol = await storage.relations.getThreadSummaries(['$root1'], '@bob:example.org', ['@carol:example.org']);
    assert.deepEqual(
      withoutCarol.map((t) => [t.rootId, t.count, t.latestEventId]),
      [['$root1', 1, '$t1']],
      "an ignored sender's reply is neither counted nor the latest",
    );
    const edits = await storage.relations.getRelationsTo(['$root1'], ['m.replace']);
    assert.deepEqual(edits.map((r) => r.eventId), ['$edit']);
    const before = await storage.relations.getThreads(ROOM, { limit: 10, before: threads[0]?.latestStreamOrdering });
    assert.deepEqual(before.map((t) => t.rootId), ['$root2']);
  });
});
