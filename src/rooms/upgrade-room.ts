import { forbidden, invalidParam, MatrixError } from '../errors/index.js';
import { findRoomVersion, isValidUserId, powerLevelsView, splitStateKey } from '../protocol/index.js';
import type { EventId, RoomId, UserId } from '../types/ids.js';
import type { JsonObject } from '../types/json.js';
import type { Requester } from '../types/requester.js';
import { CREATOR_LEVEL } from './create-room-content.js';
import type { RoomServiceDeps } from './deps.js';
import { profileFields } from './member-content.js';
import type { RoomWriter } from './room-writer.js';

// Room upgrades (client-server API, "Room upgrades", server behaviour): check the tombstone permission,
// create the replacement room with `predecessor`, copy the transferable state and the bans, move local
// aliases, tombstone the old room and restrict its power levels. Each room is written under its own lock,
// one after the other (never nested; see room-lock.ts).

/** State copied to the replacement room (the spec's recommended list). */
const TRANSFERABLE = [
  'm.room.server_acl',
  'm.room.encryption',
  'm.room.name',
  'm.room.avatar',
  'm.room.topic',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.join_rules',
] as const;

interface OldRoom {
  createContent: JsonObject;
  powerLevels: JsonObject;
  transferable: Array<{ type: string; content: JsonObject }>;
  canonicalAlias: JsonObject | undefined;
  bans: Array<{ userId: UserId; content: JsonObject }>;
  lastEventId: EventId | undefined;
}

const levelOf = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isInteger(v) ? v : dflt);

export async function upgradeRoom(
  deps: RoomServiceDeps,
  writer: RoomWriter,
  requester: Requester,
  roomId: RoomId,
  newVersionId: string,
  additionalCreators: readonly UserId[] = [],
): Promise<{ replacement_room: RoomId }> {
  const version = findRoomVersion(newVersionId);
  if (version === undefined) {
    throw new MatrixError('M_UNSUPPORTED_ROOM_VERSION', 400, `Room version ${newVersionId} is not supported by this server`);
  }
  for (const u of additionalCreators) if (!isValidUserId(u)) throw invalidParam(`Invalid user id in additional_creators: ${u}`);
  const sender = requester.userId;

  // 1. Read the old room and check the permission (no events are written here).
  const old = await writer.withRoom(roomId, async (draft): Promise<OldRoom> => {
    const create = await draft.stateEvent('m.room.create');
    const plEvent = await draft.stateEvent('m.room.power_levels');
    const pl = powerLevelsView(draft.version, plEvent, create);
    if ((await draft.membership(sender)) !== 'join') throw forbidden('You are not in the room');
    if (pl.userLevel(sender) < pl.eventLevel('m.room.tombstone', true)) throw forbidden("You don't have permission to upgrade the room");
    const transferable: OldRoom['transferable'] = [];
    for (const type of TRANSFERABLE) {
      const content = await draft.stateContent(type);
      if (content !== undefined) transferable.push({ type, content });
    }
    const bans: OldRoom['bans'] = [];
    const banIds = [...draft.state].filter(([k]) => splitStateKey(k)[0] === 'm.room.member').map(([, id]) => id);
    for (const ev of (await draft.loadEvents(banIds)).values()) {
      if (ev.pdu.content.membership === 'ban' && typeof ev.pdu.state_key === 'string') {
        const reason = ev.pdu.content.reason;
        bans.push({ userId: ev.pdu.state_key, content: typeof reason === 'string' ? { membership: 'ban', reason } : { membership: 'ban' } });
      }
    }
    return {
      createContent: create?.pdu.content ?? {},
      powerLevels: plEvent?.pdu.content ?? {},
      transferable,
      canonicalAlias: await draft.stateContent('m.room.canonical_alias'),
      bans,
      lastEventId: draft.extremityIds()[0],
    };
  });

  // 2. The replacement room.
  const createContent: JsonObject = { room_version: version.id };
  if (!version.implicitCreator) createContent.creator = sender;
  if (typeof old.createContent.type === 'string') createContent.type = old.createContent.type;
  if (old.createContent['m.federate'] === false) createContent['m.federate'] = false;
  const predecessor: JsonObject = { room_id: roomId };
  if (!version.roomIdFromCreateEvent && old.lastEventId !== undefined) predecessor.event_id = old.lastEventId;
  createContent.predecessor = predecessor;
  const creators = new Set<UserId>([sender]);
  if (version.privilegedCreators) {
    const extra = additionalCreators.filter((u) => u !== sender);
    if (extra.length > 0) createContent.additional_creators = [...new Set(extra)];
    for (const u of extra) creators.add(u);
  }

  const finalPl: JsonObject = { ...old.powerLevels };
  const users: JsonObject = typeof finalPl.users === 'object' && finalPl.users !== null && !Array.isArray(finalPl.users) ? { ...finalPl.users } : {};
  if (version.privilegedCreators) for (const c of creators) delete users[c];
  else users[sender] = Math.max(levelOf(users[sender], 0), CREATOR_LEVEL);
  finalPl.users = users;
  // While copying state the upgrader may need more power than the old room gave them; restored afterwards.
  let initialPl = finalPl;
  if (!version.privilegedCreators) {
    const events = typeof finalPl.events === 'object' && finalPl.events !== null && !Array.isArray(finalPl.events) ? finalPl.events : {};
    const needed = Math.max(levelOf(finalPl.state_default, 50), levelOf(finalPl.ban, 50), ...Object.values(events).map((v) => levelOf(v, 0)));
    if (levelOf(users[sender], 0) < needed) initialPl = { ...finalPl, users: { ...users, [sender]: needed } };
  }

  const newRoomId = await writer.createRoom(version, { creator: sender, isPublic: false, createdTs: deps.now() }, async (draft) => {
    await draft.append({ type: 'm.room.create', sender, stateKey: '', content: createContent });
    await draft.append({ type: 'm.room.member', sender, stateKey: sender, content: { membership: 'join', ...(await profileFields(deps, sender)) } });
    await draft.append({ type: 'm.room.power_levels', sender, stateKey: '', content: initialPl });
    for (const s of old.transferable) await draft.append({ type: s.type, sender, stateKey: '', content: s.content });
    if (old.canonicalAlias !== undefined && Object.keys(old.canonicalAlias).length > 0) {
      await draft.append({ type: 'm.room.canonical_alias', sender, stateKey: '', content: old.canonicalAlias });
    }
    for (const b of old.bans) await draft.append({ type: 'm.room.member', sender, stateKey: b.userId, content: b.content });
    if (initialPl !== finalPl) await draft.append({ type: 'm.room.power_levels', sender, stateKey: '', content: finalPl });
    return draft.roomId;
  });

  // 3. Local aliases now point at the replacement; the old room's directory listing moves with them.
  await deps.storage.rooms.moveAliases(roomId, newRoomId);
  const oldRow = await deps.storage.rooms.getRoom(roomId);
  if (oldRow?.isPublic === true) {
    await deps.storage.rooms.setRoomPublic(newRoomId, true);
    await deps.storage.rooms.setRoomPublic(roomId, false);
  }

  // 4. Tombstone the old room, drop its canonical alias and stop people from talking or inviting there.
  await writer.withRoom(roomId, async (draft) => {
    await draft.append({
      type: 'm.room.tombstone',
      sender,
      stateKey: '',
      content: { body: 'This room has been replaced', replacement_room: newRoomId },
    });
    if (old.canonicalAlias !== undefined && Object.keys(old.canonicalAlias).length > 0) {
      await tryAppend(deps, () => draft.append({ type: 'm.room.canonical_alias', sender, stateKey: '', content: {} }));
    }
    const plContent = (await draft.stateContent('m.room.power_levels')) ?? {};
    const restricted = Math.max(50, levelOf(plContent.users_default, 0) + 1);
    if (levelOf(plContent.events_default, 0) < restricted || levelOf(plContent.invite, 0) < restricted) {
      await tryAppend(deps, () =>
        draft.append({ type: 'm.room.power_levels', sender, stateKey: '', content: { ...plContent, events_default: restricted, invite: restricted } }),
      );
    }
  });
  return { replacement_room: newRoomId };
}

/** Best-effort follow-ups: a refusal by the auth rules (e.g. not enough power) skips the step. */
async function tryAppend(deps: RoomServiceDeps, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof MatrixError)) throw err;
    deps.logger.info({ err: err.message }, 'room upgrade: skipped a follow-up event in the old room');
  }
}
