import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { runBenchmarks, scenarios } from '../../bench/run.js';

// The benchmark harness must not rot: every scenario runs in quick mode and reports figures.
test('every benchmark scenario runs in quick mode and prints a table with figures', async () => {
  let printed = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      printed += String(chunk);
      cb();
    },
  });
  const results = await runBenchmarks({ quick: true, write: false, out });
  assert.equal(results.length, scenarios.length);
  for (const r of results) {
    assert.ok(r.rows.length > 0, `${r.scenario} reported no rows`);
    assert.match(printed, new RegExp(`## ${r.scenario}`));
  }
});
