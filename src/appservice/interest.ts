import type { StoredEvent } from '../storage/interfaces/index.js';
import type { AppserviceEntry } from './registry.js';

// Which events an application service receives (spec: "Pushing events"): events whose sender or member
// state_key is in its users namespace, events in rooms it holds by id or alias, and events in rooms where one
// of its users is joined.

export interface RoomFacts {
  aliases(roomId: string): Promise<readonly string[]>;
  joinedMembers(roomId: string): Promise<readonly string[]>;
}

/** Per-batch memo of room lookups, so a batch of events in one room costs one query per kind. */
export function memoRoomFacts(facts: RoomFacts): RoomFacts {
  const aliases = new Map<string, Promise<readonly string[]>>();
  const members = new Map<string, Promise<readonly string[]>>();
  return {
    aliases(roomId) {
      let p = aliases.get(roomId);
      if (!p) aliases.set(roomId, (p = facts.aliases(roomId)));
      return p;
    },
    joinedMembers(roomId) {
      let p = members.get(roomId);
      if (!p) members.set(roomId, (p = facts.joinedMembers(roomId)));
      return p;
    },
  };
}

export async function isInterestedInEvent(entry: AppserviceEntry, event: StoredEvent, facts: RoomFacts): Promise<boolean> {
  const pdu = event.pdu;
  if (entry.isInterestedInUser(pdu.sender)) return true;
  if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string' && entry.isInterestedInUser(pdu.state_key)) return true;
  return isInterestedInRoom(entry, event.roomId, facts);
}

export async function isInterestedInRoom(entry: AppserviceEntry, roomId: string, facts: RoomFacts): Promise<boolean> {
  if (entry.isRoomInNamespace(roomId)) return true;
  if (entry.aliases.length > 0 && (await facts.aliases(roomId)).some((a) => entry.isAliasInNamespace(a))) return true;
  return (await facts.joinedMembers(roomId)).some((u) => entry.isInterestedInUser(u));
}

/** Presence of users in the namespace (Synapse also sends presence of users sharing rooms; this is the part bridges use). */
export function isInterestedInUserPresence(entry: AppserviceEntry, userId: string): boolean {
  return entry.isInterestedInUser(userId);
}
