import { forbidden, invalidParam, MatrixError, notFound } from '../../errors/index.js';
import { parseRoomAlias, serverNameOf } from '../../protocol/index.js';
import type { RoomId, UserId } from '../../types/ids.js';
import type { Requester } from '../../types/requester.js';
import { assertUserInRoomOrVisible, currentMembership } from './access.js';
import type { ReaderContext } from './context.js';
import { canChangeRoomList } from './permissions.js';

// Room aliases: GET/PUT/DELETE /directory/room/{roomAlias} and GET /rooms/{roomId}/aliases. Only aliases of our
// own server are stored here; resolving other servers' aliases needs federation (a query to that server).

function checkAlias(ctx: ReaderContext, alias: string): { local: boolean } {
  const parsed = parseRoomAlias(alias);
  if (parsed === null) throw invalidParam('Room alias invalid');
  return { local: serverNameOf(alias) === ctx.config.serverName };
}

async function aliasRow(ctx: ReaderContext, alias: string): Promise<{ roomId: RoomId; servers: string[]; creator: UserId | null } | undefined> {
  if (ctx.extras.getAlias) return ctx.extras.getAlias(alias);
  const row = await ctx.store.getRoomIdForAlias(alias);
  return row && { ...row, creator: null };
}

/** Servers a client may join through: ours first, then those of the room's joined members. */
async function joinServers(ctx: ReaderContext, roomId: RoomId): Promise<string[]> {
  const servers = new Set<string>([ctx.config.serverName]);
  for (const m of await ctx.store.getRoomMembers(roomId, ['join'])) {
    const s = serverNameOf(m.userId);
    if (s !== undefined) servers.add(s);
  }
  return [...servers];
}

export async function resolveAlias(ctx: ReaderContext, alias: string): Promise<{ room_id: RoomId; servers: string[] }> {
  const { local } = checkAlias(ctx, alias);
  // Another server's alias is asked of that server (query/directory); its answer lists the servers to join through.
  if (!local && ctx.remoteDirectory !== undefined) return ctx.remoteDirectory.resolveAlias(alias);
  let row = local ? await aliasRow(ctx, alias) : undefined;
  // An alias in an application service's namespace may be created on demand by the service (portal rooms).
  if (row === undefined && local && ctx.appserviceAliases !== undefined && (await ctx.appserviceAliases.queryAlias(alias))) row = await aliasRow(ctx, alias);
  if (row === undefined) throw notFound(`Room alias ${alias} not found`);
  return { room_id: row.roomId, servers: await joinServers(ctx, row.roomId) };
}

export async function createAlias(ctx: ReaderContext, requester: Requester, alias: string, roomId: RoomId): Promise<void> {
  if (!checkAlias(ctx, alias).local) throw invalidParam('Room alias must be local');
  if ((await ctx.store.getRoom(roomId)) === undefined) throw notFound(`Room ${roomId} not found`);
  const owner = ctx.appserviceAliases?.exclusiveOwner(alias);
  if (owner !== undefined && owner !== requester.appserviceId) throw new MatrixError('M_EXCLUSIVE', 400, 'This alias is reserved by an application service');
  const member = await currentMembership(ctx.store, roomId, requester.userId);
  if (member?.membership !== 'join') throw forbidden('You must be in the room to create an alias for it');
  const exists = () => new MatrixError('M_UNKNOWN', 409, `Room alias ${alias} already exists`);
  if ((await ctx.store.getRoomIdForAlias(alias)) !== undefined) throw exists();
  if (!(await ctx.store.createAlias(alias, roomId, requester.userId, [ctx.config.serverName]))) throw exists();
}

export async function deleteAlias(ctx: ReaderContext, requester: Requester, alias: string): Promise<void> {
  if (!checkAlias(ctx, alias).local) throw invalidParam('Room alias must be local');
  const row = await aliasRow(ctx, alias);
  if (row === undefined) throw notFound(`Room alias ${alias} not found`);
  const allowed = row.creator === requester.userId || (await canChangeRoomList(ctx.store, row.roomId, requester.userId));
  if (!allowed) throw forbidden("You don't have permission to delete the alias.");
  if (!(await ctx.store.deleteAlias(alias))) throw notFound(`Room alias ${alias} not found`);
}

export async function roomAliases(ctx: ReaderContext, requester: Requester, roomId: RoomId): Promise<string[]> {
  await assertUserInRoomOrVisible(ctx.store, roomId, requester.userId);
  return ctx.store.getAliasesForRoom(roomId);
}
