import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSigningKey, signJson, type SigningKey } from '../../../src/crypto/index.js';
import { verifySignedThirdPartyInvite, thirdPartyInvitePublicKeys } from '../../../src/protocol/auth/index.js';
import type { RoomVersion } from '../../../src/protocol/room-versions.js';
import type { JsonObject } from '../../../src/types/json.js';
import { ALICE, ALL_FAMILIES, BOB, CAROL, Room, runCases, standardRoom, type AuthCase } from './fixtures.js';

// Identity-server keys are generated once per run; the signatures are real ed25519 over canonical JSON.
const isKey = generateSigningKey('0');
const otherKey = generateSigningKey('1');
const TOKEN = 'abc123';

function signed(mxid: string, token: string, key: SigningKey): JsonObject {
  return signJson({ mxid, token, sender: BOB }, 'id.example', key) as JsonObject;
}

interface Setup {
  inviteSender?: string;
  keys?: JsonObject;
  noThirdPartyInviteEvent?: boolean;
}

function roomWithPendingInvite(v: RoomVersion, s: Setup = {}): Room {
  const room = standardRoom(v);
  if (!s.noThirdPartyInviteEvent) {
    room.put('m.room.third_party_invite', TOKEN, s.inviteSender ?? BOB, {
      display_name: 'c...@example.org',
      key_validity_url: 'https://id.example/_matrix/identity/v2/pubkey/isvalid',
      ...(s.keys ?? { public_key: isKey.publicKeyBase64 }),
    });
  }
  return room;
}

function tpInvite(room: Room, sender: string, target: string, thirdPartyInvite: JsonObject) {
  return room.check(
    room.event({
      type: 'm.room.member',
      sender,
      state_key: target,
      content: { membership: 'invite', third_party_invite: thirdPartyInvite },
    }),
  );
}

const cases: AuthCase[] = [
  {
    rule: 'a third-party invite signed with the public_key of the m.room.third_party_invite',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => tpInvite(roomWithPendingInvite(v), BOB, CAROL, { display_name: 'c', signed: signed(CAROL, TOKEN, isKey) }),
  },
  {
    rule: 'a third-party invite signed with a key listed only in public_keys',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) =>
      tpInvite(
        roomWithPendingInvite(v, { keys: { public_key: isKey.publicKeyBase64, public_keys: [{ public_key: otherKey.publicKeyBase64 }] } }),
        BOB,
        CAROL,
        { display_name: 'c', signed: signed(CAROL, TOKEN, otherKey) },
      ),
  },
  {
    rule: 'a third-party invite signed by a key the room does not list',
    families: ALL_FAMILIES,
    expect: /no signature in signed matches/,
    run: (v) => tpInvite(roomWithPendingInvite(v), BOB, CAROL, { display_name: 'c', signed: signed(CAROL, TOKEN, otherKey) }),
  },
  {
    rule: 'a third-party invite whose signed object was altered after signing',
    families: ALL_FAMILIES,
    expect: /no signature in signed matches/,
    run: (v) => {
      const s = signed(CAROL, TOKEN, isKey);
      return tpInvite(roomWithPendingInvite(v), BOB, CAROL, { display_name: 'c', signed: { ...s, extra: 'x' } });
    },
  },
  {
    rule: 'a third-party invite of a banned user',
    families: ALL_FAMILIES,
    expect: /target user is banned/,
    run: (v) => {
      const room = roomWithPendingInvite(v);
      room.member(CAROL, 'ban', ALICE);
      return tpInvite(room, BOB, CAROL, { display_name: 'c', signed: signed(CAROL, TOKEN, isKey) });
    },
  },
  {
    rule: 'a third-party invite without signed',
    families: ALL_FAMILIES,
    expect: /no signed object/,
    run: (v) => tpInvite(roomWithPendingInvite(v), BOB, CAROL, { display_name: 'c' }),
  },
  {
    rule: 'a third-party invite whose signed object lacks a token',
    families: ALL_FAMILIES,
    expect: /lacks mxid or token/,
    run: (v) => tpInvite(roomWithPendingInvite(v), BOB, CAROL, { display_name: 'c', signed: { mxid: CAROL } }),
  },
  {
    rule: 'a third-party invite whose mxid is not the state_key',
    families: ALL_FAMILIES,
    expect: /does not match state_key/,
    run: (v) => tpInvite(roomWithPendingInvite(v), BOB, CAROL, { display_name: 'c', signed: signed(ALICE, TOKEN, isKey) }),
  },
  {
    rule: 'a third-party invite with no matching m.room.third_party_invite',
    families: ALL_FAMILIES,
    expect: /no m.room.third_party_invite/,
    run: (v) =>
      tpInvite(roomWithPendingInvite(v, { noThirdPartyInviteEvent: true }), BOB, CAROL, { display_name: 'c', signed: signed(CAROL, TOKEN, isKey) }),
  },
  {
    rule: 'a third-party invite sent by someone other than the m.room.third_party_invite sender',
    families: ALL_FAMILIES,
    expect: /sender differs/,
    run: (v) => tpInvite(roomWithPendingInvite(v, { inviteSender: ALICE }), BOB, CAROL, { display_name: 'c', signed: signed(CAROL, TOKEN, isKey) }),
  },
];

const thirdPartyInviteEventCases: AuthCase[] = [
  {
    rule: 'an m.room.third_party_invite from a member at the invite level',
    families: ALL_FAMILIES,
    expect: true,
    run: (v) => {
      const room = standardRoom(v);
      return room.check(room.event({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'tok', content: { display_name: 'x' } }));
    },
  },
  {
    rule: 'an m.room.third_party_invite from a member below the invite level',
    families: ALL_FAMILIES,
    expect: /below the invite level/,
    run: (v) => {
      const room = standardRoom(v);
      const pl = room.state.get('m.room.power_levels\u0000')!.pdu.content;
      room.powerLevels({ ...pl, invite: 60 });
      return room.check(room.event({ type: 'm.room.third_party_invite', sender: BOB, state_key: 'tok', content: { display_name: 'x' } }));
    },
  },
];

describe('auth rules: invites with third_party_invite', () => runCases(cases));
describe('auth rules: m.room.third_party_invite', () => runCases(thirdPartyInviteEventCases));

describe('third-party invite helpers', () => {
  test('collects public_key and every public_keys entry', () => {
    assert.deepEqual(thirdPartyInvitePublicKeys({ public_key: 'a', public_keys: [{ public_key: 'b' }, { nope: 1 }, 'c'] }), ['a', 'b']);
  });
  test('ignores signatures whose key id is not ed25519', () => {
    const s = signJson({ mxid: CAROL, token: TOKEN }, 'id.example', { ...isKey, keyId: 'curve25519:0' });
    assert.equal(verifySignedThirdPartyInvite(s, [isKey.publicKeyBase64], true), false);
  });
});
