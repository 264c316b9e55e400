import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roomVersion } from '../../src/protocol/index.js';
import { softFailAfterResync, type AllowedBy, type ResyncedEvent } from '../../src/rooms/resync-soft-fail.js';
import type { Pdu, StateKey } from '../../src/types/pdu.js';

// The soft-fail check deferred by a partial-state join, on hand-made histories: the check itself is faked
// (a sender is allowed while their member key names a join), so these cases are about which state each event
// is checked against and what soft-failing it changes.

const V = roomVersion('12');
const member = (u: string): StateKey => `m.room.member\u0000${u}`;
const TOPIC: StateKey = 'm.room.topic\u0000';

const allowed: AllowedBy = async (_v, event, state) => (state.get(member(event.pdu.sender)) ?? '').startsWith('$join');

function ev(id: string, sender: string, prev: string[], before: ReadonlyMap<StateKey, string>, stateKeyed?: StateKey): ResyncedEvent {
  const after = new Map(before);
  if (stateKeyed !== undefined) after.set(stateKeyed, id);
  const [type, key] = stateKeyed !== undefined ? (stateKeyed.split('\u0000') as [string, string]) : ['m.room.message', undefined];
  const pdu = { type, sender, prev_events: prev, auth_events: [], content: {}, ...(key !== undefined ? { state_key: key } : {}) } as unknown as Pdu;
  return { event: { eventId: id, pdu }, stateBefore: before, stateAfter: after, softFailed: false };
}

test('each event is checked against the complete state when it arrived; only the failures are soft-failed', async () => {
  const base = new Map<StateKey, string>([[member('@bob:hs2'), '$joinbob'], [member('@eve:hs1'), '$ban-eve'], [member('@carl:hs1'), '$joincarl']]);
  const join = ev('$J', '@bob:hs2', ['$x'], base);
  const carlTalks = ev('$carl1', '@carl:hs1', ['$J'], join.stateAfter);
  // eve is banned in the full state: her topic and message fail; the topic must not stay current.
  const eveTopic = ev('$eveTopic', '@eve:hs1', ['$carl1'], carlTalks.stateAfter, TOPIC);
  const eveTalks = ev('$eve1', '@eve:hs1', ['$eveTopic'], eveTopic.stateAfter);
  // carl is kicked after his message: that message was fine when it arrived and stays.
  const kick = ev('$kick-carl', '@bob:hs2', ['$eve1'], eveTalks.stateAfter, member('@carl:hs1'));
  const ours = ev('$ours', '@bob:hs2', ['$kick-carl'], kick.stateAfter);
  const events = [join, carlTalks, eveTopic, eveTalks, kick, ours];
  const current = new Map(ours.stateAfter);

  const out = await softFailAfterResync(V, 'hs2', events, current, ['$eve1'], allowed);
  assert.deepEqual(out.softFailed.sort(), ['$eve1', '$eveTopic']);
  assert.equal(out.currentState.has(TOPIC), false, "eve's topic leaves the current state");
  assert.equal(out.currentState.get(member('@carl:hs1')), '$kick-carl');
  // The soft-failed extremity gives way to the nearest live event before it.
  assert.deepEqual(out.forwardExtremities, ['$carl1']);
});

test('nothing fails: current state and extremities are returned as they were', async () => {
  const base = new Map<StateKey, string>([[member('@bob:hs2'), '$joinbob'], [member('@carl:hs1'), '$joincarl']]);
  const join = ev('$J', '@bob:hs2', ['$x'], base);
  const carl = ev('$c', '@carl:hs1', ['$J'], join.stateAfter, TOPIC);
  const out = await softFailAfterResync(V, 'hs2', [join, carl], carl.stateAfter, ['$c'], allowed);
  assert.deepEqual(out.softFailed, []);
  assert.deepEqual(out.currentState, carl.stateAfter);
  assert.deepEqual(out.forwardExtremities, ['$c']);
});

test('our own events are not re-checked, and a soft-failed state event is not the state later events are checked against', async () => {
  const base = new Map<StateKey, string>([[member('@bob:hs2'), '$joinbob'], [member('@eve:hs1'), '$leave-eve']]);
  const join = ev('$J', '@bob:hs2', ['$x'], base);
  // eve (who left) "re-joins" by a member event that the full state would not have let in: soft-failed, so
  // her message after it is checked against the state without it and fails too.
  const eveJoin = ev('$join-eve-bad', '@eve:hs1', ['$J'], join.stateAfter, member('@eve:hs1'));
  const eveTalks = ev('$eve1', '@eve:hs1', ['$join-eve-bad'], eveJoin.stateAfter);
  const ours = ev('$ours', '@zed:hs2', ['$eve1'], eveTalks.stateAfter);
  const out = await softFailAfterResync(V, 'hs2', [join, eveJoin, eveTalks, ours], ours.stateAfter, ['$ours'], allowed);
  assert.deepEqual(out.softFailed.sort(), ['$eve1', '$join-eve-bad']);
  assert.equal(out.currentState.get(member('@eve:hs1')), '$leave-eve');
  assert.deepEqual(out.forwardExtremities, ['$ours']);
});
