// The resolver must batch its store calls: their number depends on the phases of the algorithm, not on the
// size of the room or of the conflict.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { roomVersion } from '../../../src/protocol/room-versions.js';
import { stateKey } from '../../../src/protocol/state-key.js';
import { resolveState } from '../../../src/protocol/state-res/index.js';
import { buildForkedRoom } from '../../../bench/state-res.js';

for (const id of ['1', '11', '12']) {
  const v = roomVersion(id);
  describe(`state resolution ${v.stateRes} (room v${id}) on a large fork`, () => {
    test('makes the same number of store calls for 100 and 2,000 members', async () => {
      const calls: number[] = [];
      for (const members of [100, 2_000]) {
        const { store, stateSets } = buildForkedRoom(v, members);
        const out = await resolveState(v, stateSets, store);
        calls.push(store.calls.getEvents + store.calls.getAuthChain + store.calls.getRejected);
        // The creator's demotion of bob (branch A) wins over bob's own change (branch B), and the members bob
        // banned afterwards stay joined because those bans no longer pass auth.
        assert.equal(out.get(stateKey('m.room.power_levels', '')), stateSets[0].get(stateKey('m.room.power_levels', '')));
        const banned = stateSets[1].get(stateKey('m.room.member', `@u${members / 10}:bench.example`));
        assert.notEqual(out.get(stateKey('m.room.member', `@u${members / 10}:bench.example`)), banned);
      }
      assert.equal(calls[0], calls[1]);
      assert.ok((calls[0] ?? 0) <= 12, `${calls[0]} store calls`);
    });
  });
}
