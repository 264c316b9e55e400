import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describeStorage } from '../../helpers/storage.js';

// On SQLite the write-ahead log is checkpointed by a worker thread, so no COMMIT on the event loop pays for
// copying pages into the database file and its fsync (the connection's own threshold is only a backstop).

describeStorage('WAL checkpoint worker', (h) => {
  if (h.engine !== 'sqlite') return;

  test('committed pages reach the database file without a checkpoint on the server connection', async () => {
    const db = await h.createDatabase();
    const storage = await db.open();
    assert.equal(db.config.engine, 'sqlite');
    if (db.config.engine !== 'sqlite') return;
    const row: Array<{ wal_autocheckpoint: number }> = await storage.knex.raw('PRAGMA wal_autocheckpoint');
    assert.ok((row[0]?.wal_autocheckpoint ?? 0) >= 10_000, 'the server connection checkpoints only as a backstop');
    await storage.knex.schema.createTable('wal_probe', (t) => t.text('v'));
    const before = statSync(db.config.path).size;
    // 2 MB in ~500 pages: under the backstop threshold, so only the worker can move them into the file. Written
    // over three seconds: the worker starts once it sees writing go on (start-up writes alone do not start it).
    const chunk = 'x'.repeat(4_000);
    for (let t = 0; t < 5; t++) {
      await storage.knex.transaction(async (trx) => {
        for (let i = 0; i < 100; i++) await trx('wal_probe').insert({ v: `${t}.${i}${chunk}` });
      });
      await new Promise((r) => setTimeout(r, 700));
    }
    const deadline = Date.now() + 10_000;
    while (statSync(db.config.path).size < before + 1_900_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(statSync(db.config.path).size >= before + 1_900_000, `database file grew from ${before} to ${statSync(db.config.path).size}`);
    await storage.close();
  });
});
