import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { userMayChangeState } from '../src/matrix/power.js';

const create = (version: string, sender = '@creator:hs', extra: string[] = []) => ({
  type: 'm.room.create',
  state_key: '',
  sender,
  content: { room_version: version, ...(extra.length ? { additional_creators: extra } : {}) },
});
const pl = (content: Record<string, unknown>) => ({ type: 'm.room.power_levels', state_key: '', sender: '@creator:hs', content });

describe('who may link a room', () => {
  it('needs the state_default level (50 when unset)', () => {
    const state = [create('10'), pl({ users: { '@mod:hs': 50, '@op:hs': 100 }, users_default: 0 })];
    assert.ok(userMayChangeState(state, '@mod:hs'));
    assert.ok(userMayChangeState(state, '@op:hs'));
    assert.ok(!userMayChangeState(state, '@user:hs'));
    assert.ok(!userMayChangeState([create('10'), pl({ state_default: 60, users: { '@mod:hs': 50 } })], '@mod:hs'));
    assert.ok(userMayChangeState([create('10'), pl({ state_default: 0 })], '@anyone:hs'));
  });

  it('gives creators unbounded power from room version 12, not before', () => {
    const levels = pl({ users: {}, users_default: 0 });
    assert.ok(userMayChangeState([create('12', '@c:hs', ['@c2:hs']), levels], '@c:hs'));
    assert.ok(userMayChangeState([create('12', '@c:hs', ['@c2:hs']), levels], '@c2:hs'));
    assert.ok(!userMayChangeState([create('11', '@c:hs'), levels], '@c:hs'));
  });

  it('without power levels, everyone may (state_default is 0)', () => {
    assert.ok(userMayChangeState([create('10')], '@anyone:hs'));
  });
});
