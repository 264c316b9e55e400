import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authStateKeysFor } from '../../../src/protocol/auth/index.js';
import { stateKey } from '../../../src/protocol/state-key.js';
import { ALICE, BOB, CAROL, family } from './fixtures.js';

const CREATE = stateKey('m.room.create', '');
const PL = stateKey('m.room.power_levels', '');
const JR = stateKey('m.room.join_rules', '');
const mem = (u: string) => stateKey('m.room.member', u);

describe('auth events selection', () => {
  test('a create event needs no auth events', () => {
    assert.deepEqual(authStateKeysFor(family('11'), { type: 'm.room.create', sender: ALICE, state_key: '', content: {} }), []);
  });

  test('a message needs create, power levels and the sender membership', () => {
    assert.deepEqual(authStateKeysFor(family('11'), { type: 'm.room.message', sender: BOB, content: {} }), [CREATE, PL, mem(BOB)]);
  });

  test('v12 never selects the create event', () => {
    assert.deepEqual(authStateKeysFor(family('12'), { type: 'm.room.message', sender: BOB, content: {} }), [PL, mem(BOB)]);
  });

  test('a join adds the target membership and the join rules, once each for a self-join', () => {
    const keys = authStateKeysFor(family('10'), { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join' } });
    assert.deepEqual(keys, [CREATE, PL, mem(BOB), JR]);
  });

  test('a kick adds the target membership but not the join rules', () => {
    const keys = authStateKeysFor(family('10'), { type: 'm.room.member', sender: ALICE, state_key: BOB, content: { membership: 'leave' } });
    assert.deepEqual(keys, [CREATE, PL, mem(ALICE), mem(BOB)]);
  });

  test('a knock adds the join rules', () => {
    const keys = authStateKeysFor(family('7'), { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'knock' } });
    assert.ok(keys.includes(JR));
  });

  test('a third-party invite adds the m.room.third_party_invite named by signed.token', () => {
    const keys = authStateKeysFor(family('6'), {
      type: 'm.room.member',
      sender: ALICE,
      state_key: CAROL,
      content: { membership: 'invite', third_party_invite: { display_name: 'c', signed: { mxid: CAROL, token: 'tok' } } },
    });
    assert.deepEqual(keys, [CREATE, PL, mem(ALICE), mem(CAROL), JR, stateKey('m.room.third_party_invite', 'tok')]);
  });

  test('a restricted join adds the authorising user membership where restricted rooms exist', () => {
    const pdu = { type: 'm.room.member', sender: CAROL, state_key: CAROL, content: { membership: 'join', join_authorised_via_users_server: ALICE } };
    assert.ok(authStateKeysFor(family('8'), pdu).includes(mem(ALICE)));
    assert.ok(!authStateKeysFor(family('7'), pdu).includes(mem(ALICE)));
  });

  test('join_authorised_via_users_server on a non-join membership is not selected', () => {
    const pdu = { type: 'm.room.member', sender: CAROL, state_key: CAROL, content: { membership: 'leave', join_authorised_via_users_server: ALICE } };
    assert.ok(!authStateKeysFor(family('10'), pdu).includes(mem(ALICE)));
  });
});
