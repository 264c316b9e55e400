import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { ServerNameMismatchError } from '../../../src/storage/knex/index.js';

describeStorage('storage instance', (h) => {
  test('binds the database to the first server name and refuses another one later', async () => {
    const db = await h.createDatabase();
    const first = await db.open();
    await first.bindServerName('hs.example');
    await first.bindServerName('hs.example');
    await first.close();

    const second = await db.open();
    await second.bindServerName('hs.example');
    await assert.rejects(second.bindServerName('other.example'), (err: unknown) => {
      assert.ok(err instanceof ServerNameMismatchError);
      assert.equal(err.found, 'hs.example');
      assert.equal(err.expected, 'other.example');
      return true;
    });
  });

  test('hands out one stream id generator per table and column', async () => {
    const storage = await h.open();
    await storage.knex.schema.createTable('probe_stream', (t) => t.bigInteger('stream_id').primary());
    const a = await storage.streamIdGenerator('probe_stream', 'stream_id');
    const b = await storage.streamIdGenerator('probe_stream', 'stream_id');
    assert.equal(a, b);
  });

  test('a generator for a missing table fails and is not cached', async () => {
    const storage = await h.open();
    await assert.rejects(storage.streamIdGenerator('later_stream', 'stream_id'));
    await storage.knex.schema.createTable('later_stream', (t) => t.bigInteger('stream_id').primary());
    const generator = await storage.streamIdGenerator('later_stream', 'stream_id');
    assert.equal(generator.getNext().id, 1);
  });
});
