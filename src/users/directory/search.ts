import type { Storage } from '../../storage/interfaces/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import { mutualRooms, type MutualRoomsResponse } from './mutual-rooms.js';

// POST /user_directory/search: the users a searcher may find are those sharing a joined room with them, those
// joined to a public room (join rule `public` or history `world_readable`, as Synapse counts them), and, when
// the server enables search_all_users, every local account. Read from current memberships and profiles at query
// time, so the directory is always as current as room state and profiles are (no separate index to lag).

export interface UserDirectoryDeps {
  storage: Storage;
  /** Synapse's user_directory.search_all_users. */
  searchAllUsers: boolean;
}

export interface DirectoryResult {
  user_id: UserId;
  display_name?: string;
  avatar_url?: string;
}

export interface DirectorySearchResponse {
  limited: boolean;
  results: DirectoryResult[];
}

export interface UserDirectoryService {
  search(searcher: UserId, term: string, limit: number): Promise<DirectorySearchResponse>;
  mutualRooms(me: UserId, other: string, from: string | undefined): Promise<MutualRoomsResponse>;
}

/** Lower-cased words of the term; an empty term matches nothing (Synapse answers no results). */
export function searchTerms(term: string): string[] {
  return term
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
}

/** Better matches first: exact id or name, then prefix matches, then users with a name and an avatar. */
function rank(r: DirectoryResult, whole: string): number {
  const id = r.user_id.toLowerCase();
  const name = (r.display_name ?? '').toLowerCase();
  const localpart = id.slice(1, id.indexOf(':') < 0 ? undefined : id.indexOf(':'));
  let score = 0;
  if (name === whole || localpart === whole || id === whole) score += 8;
  if (name.startsWith(whole) || localpart.startsWith(whole)) score += 4;
  if (r.display_name !== undefined) score += 2;
  if (r.avatar_url !== undefined) score += 1;
  return score;
}

export function createUserDirectoryService(deps: UserDirectoryDeps): UserDirectoryService {
  const { storage } = deps;

  async function isPublicRoom(roomId: RoomId): Promise<boolean> {
    const [rules, history] = await Promise.all([
      storage.rooms.getCurrentStateEvent(roomId, 'm.room.join_rules', ''),
      storage.rooms.getCurrentStateEvent(roomId, 'm.room.history_visibility', ''),
    ]);
    return rules?.pdu.content.join_rule === 'public' || history?.pdu.content.history_visibility === 'world_readable';
  }

  return {
    mutualRooms: (me, other, from) => mutualRooms(storage, me, other, from),
    async search(searcher, term, limit) {
      const terms = searchTerms(term);
      if (terms.length === 0 || limit <= 0) return { limited: false, results: [] };
      const [candidates, sharing] = await Promise.all([
        storage.directory.searchUsers(terms, limit, deps.searchAllUsers),
        storage.directory.usersSharingRoomWith(searcher),
      ]);
      const publicness = new Map<RoomId, Promise<boolean>>();
      const roomIsPublic = (roomId: RoomId) => {
        let p = publicness.get(roomId);
        if (!p) {
          p = isPublicRoom(roomId);
          publicness.set(roomId, p);
        }
        return p;
      };

      const visible: DirectoryResult[] = [];
      for (const c of candidates) {
        let ok = deps.searchAllUsers || sharing.has(c.userId);
        for (const roomId of c.joinedRoomIds) {
          if (ok) break;
          ok = await roomIsPublic(roomId);
        }
        if (!ok) continue;
        const r: DirectoryResult = { user_id: c.userId };
        if (c.displayName !== null && c.displayName !== '') r.display_name = c.displayName;
        if (c.avatarUrl !== null && c.avatarUrl !== '') r.avatar_url = c.avatarUrl;
        visible.push(r);
      }
      const whole = terms.join(' ');
      visible.sort((a, b) => rank(b, whole) - rank(a, whole) || (a.user_id < b.user_id ? -1 : 1));
      return { limited: visible.length > limit, results: visible.slice(0, limit) };
    },
  };
}
