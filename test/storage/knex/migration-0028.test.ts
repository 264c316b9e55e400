import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStorage } from '../../helpers/storage.js';
import { openBefore } from '../../helpers/migrate-before.js';
import { RELATIONS_INDEX, SEARCH_INDEX } from '../../../src/rooms/relations/indexer.js';

// 0028 splits the one index position of relations and search in two: both go on from where it stood.

describeStorage('migration 0028 (a position per index)', (h) => {
  test("the relations and the search index both go on from the combined index's position", async () => {
    const { storage, rest } = await openBefore(h, '0028_search_index_position');
    await storage.knex('event_index_position').insert({ name: 'relations_search', position: 1234 });
    assert.deepEqual(await storage.migrate(), rest);
    assert.equal(await storage.relations.getIndexPosition(RELATIONS_INDEX), 1234);
    assert.equal(await storage.relations.getIndexPosition(SEARCH_INDEX), 1234);
    assert.equal(await storage.relations.getIndexPosition('relations_search'), Number.MIN_SAFE_INTEGER);
  });

  test('a position a newer server already wrote under the new names is kept', async () => {
    const { storage, rest } = await openBefore(h, '0028_search_index_position');
    await storage.knex('event_index_position').insert([
      { name: 'relations_search', position: 1234 },
      { name: 'search', position: 2000 },
    ]);
    assert.deepEqual(await storage.migrate(), rest);
    assert.equal(await storage.relations.getIndexPosition(RELATIONS_INDEX), 1234);
    assert.equal(await storage.relations.getIndexPosition(SEARCH_INDEX), 2000);
  });

  test('a database whose indexer never ran gets no position: both indexes start from the beginning', async () => {
    const { storage, rest } = await openBefore(h, '0028_search_index_position');
    assert.deepEqual(await storage.migrate(), rest);
    assert.deepEqual(await storage.knex('event_index_position').select('name'), []);
  });
});
