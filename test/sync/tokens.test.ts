import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSyncToken, parseSyncToken } from '../../src/sync/tokens.js';
import { MatrixError } from '../../src/errors/index.js';

test('sync tokens round-trip with extra streams appended', () => {
  const p = { events: 12, typing: 3, receipts: 4, accountData: 5, presence: 6, extra: { to_device: 7, device_lists: 8 } };
  const t = formatSyncToken(p, ['to_device', 'device_lists']);
  assert.equal(t, 's12_3_4_5_6_7_8');
  assert.deepEqual(parseSyncToken(t, ['to_device', 'device_lists']), p);
});

test('missing parts read as 0 and unknown extra parts are ignored', () => {
  assert.deepEqual(parseSyncToken('s9', ['to_device']), {
    events: 9,
    typing: 0,
    receipts: 0,
    accountData: 0,
    presence: 0,
    extra: { to_device: 0 },
  });
  assert.equal(parseSyncToken('s1_2_3_4_5_6_7_8_9', []).presence, 5);
});

test('malformed tokens are M_INVALID_PARAM', () => {
  for (const bad of ['', '12', 's', 'sx', 's1__2', 's1_2_', 't1', 's-1']) {
    assert.throws(() => parseSyncToken(bad, []), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_INVALID_PARAM', bad);
  }
});
