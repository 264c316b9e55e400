import type { Intent } from 'matrix-appservice-bridge';

// Who may change how a room is bridged: a user whose power level lets them send state events (the room's
// state_default), the same right an integration's settings need. The levels follow the spec: without an
// m.room.power_levels event the creator has 100, everyone else 0, and state_default is 0; in room versions with
// privileged creators (12 and later) the creators have unbounded power and are not listed in `users`.

interface StateEvent {
  type: string;
  state_key: string;
  sender: string;
  content: Record<string, unknown>;
}

const PRIVILEGED_CREATOR_VERSIONS = /^(1[2-9]|[2-9]\d|\d{3,})$/;

export function userMayChangeState(state: readonly StateEvent[], userId: string): boolean {
  const create = state.find((e) => e.type === 'm.room.create' && e.state_key === '');
  const version = typeof create?.content.room_version === 'string' ? create.content.room_version : '1';
  if (create && PRIVILEGED_CREATOR_VERSIONS.test(version)) {
    const extra = Array.isArray(create.content.additional_creators) ? create.content.additional_creators : [];
    if (create.sender === userId || extra.includes(userId)) return true;
  }
  const pl = state.find((e) => e.type === 'm.room.power_levels' && e.state_key === '')?.content;
  // No power levels at all: state_default is 0 and every user has at least 0.
  if (!pl) return true;
  const users = (pl.users ?? {}) as Record<string, unknown>;
  const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : d);
  const level = num(users[userId], num(pl.users_default, 0));
  return level >= num(pl.state_default, 50);
}

export async function mayChangeState(bot: Intent, roomId: string, userId: string): Promise<boolean> {
  const state = (await bot.matrixClient.getRoomState(roomId)) as StateEvent[];
  return userMayChangeState(state, userId);
}
