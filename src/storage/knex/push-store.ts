import type { Knex } from 'knex';
import type {
  PushActionRow,
  PushEvaluationBatch,
  PusherRow,
  PushQueueRow,
  PushStore,
  StoredPushRule,
  ThreadCounts,
  UnreadFloor,
  StoredPushRuleOverride,
} from '../interfaces/index.js';
import type { JsonObject, JsonValue } from '../../types/json.js';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';
import { setPositionQuery } from './stream-position-store.js';
import { WriteBatch } from './write-batch.js';
import { CoalescedReads, groupBy, groupKeys } from './coalesced-reads.js';
import { CommitCache } from './commit-cache.js';
import { chunks } from './room-read-rows.js';
import { ACTION_COLUMNS, ACTIONS, jsonOfActions, movePushActions, stagedActions, stageStatements } from './push-action-moves.js';

// The knex implementation of PushStore (tables of migrations/0008_push.ts).

function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}
function parseObject(text: string): JsonObject {
  const v = parseJson(text);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {};
}
function parseArray(text: string): JsonValue[] {
  const v = parseJson(text);
  return Array.isArray(v) ? (v as JsonValue[]) : [];
}
const bool = (v: unknown): boolean => v === true || v === 1 || v === '1';
const num = (v: unknown, what: string): number => toSafeNumber(v, what);

interface ActionDbRow {
  user_id: string;
  event_id: string;
  room_id: string;
  stream_ordering: unknown;
  thread_id: string;
  notify: unknown;
  highlight: unknown;
  actions_json: string;
  ts: unknown;
}

function toAction(r: ActionDbRow): PushActionRow {
  return {
    userId: r.user_id,
    eventId: r.event_id,
    roomId: r.room_id,
    streamOrdering: num(r.stream_ordering, 'event_push_actions.stream_ordering'),
    threadId: r.thread_id,
    notify: bool(r.notify),
    highlight: bool(r.highlight),
    actions: parseArray(r.actions_json),
    ts: num(r.ts, 'event_push_actions.ts'),
  };
}

interface PusherDbRow {
  id: unknown;
  user_id: string;
  access_token_id: unknown;
  device_id: string | null;
  kind: string;
  app_id: string;
  pushkey: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string | null;
  lang: string;
  data_json: string;
  created_ts: unknown;
}

function toPusher(r: PusherDbRow): PusherRow {
  return {
    id: num(r.id, 'pushers.id'),
    userId: r.user_id,
    accessTokenId: r.access_token_id === null || r.access_token_id === undefined ? null : num(r.access_token_id, 'pushers.access_token_id'),
    deviceId: r.device_id ?? null,
    kind: r.kind,
    appId: r.app_id,
    pushkey: r.pushkey,
    appDisplayName: r.app_display_name,
    deviceDisplayName: r.device_display_name,
    profileTag: r.profile_tag,
    lang: r.lang,
    data: parseObject(r.data_json),
    createdTs: num(r.created_ts, 'pushers.created_ts'),
  };
}

interface QueueDbRow {
  id: unknown;
  pusher_id: unknown;
  user_id: string;
  event_id: string;
  room_id: string;
  actions_json: string;
  attempts: unknown;
  next_attempt_ts: unknown;
}

function toQueue(r: QueueDbRow): PushQueueRow {
  return {
    id: num(r.id, 'push_queue.id'),
    pusherId: num(r.pusher_id, 'push_queue.pusher_id'),
    userId: r.user_id,
    eventId: r.event_id,
    roomId: r.room_id,
    actions: parseArray(r.actions_json),
    attempts: num(r.attempts, 'push_queue.attempts'),
    nextAttemptTs: num(r.next_attempt_ts, 'push_queue.next_attempt_ts'),
  };
}

/** Rooms per statement when one user's rooms are read together: keeps each statement's OR list plannable. */
const ROOMS_PER_STATEMENT = 100;

interface UnreadCountKey {
  userId: string;
  roomId: string;
  floor: UnreadFloor;
}

/** Keys with equal floors share a term of the counting statement. */
function floorSignature(floor: UnreadFloor): string {
  return JSON.stringify([floor.after, floor.upTo ?? null, [...floor.threads].filter(([, p]) => p > floor.after).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

/** Unread: past the floor (and not past its upper bound), and not in a thread read further than it. */
function unreadTerm(q: Knex.QueryBuilder, table: string, floor: UnreadFloor): Knex.QueryBuilder {
  void q.andWhere(`${table}.stream_ordering`, '>', floor.after);
  if (floor.upTo !== undefined) void q.andWhere(`${table}.stream_ordering`, '<=', floor.upTo);
  for (const [threadId, position] of floor.threads) {
    if (position > floor.after) void q.andWhereNot((t) => t.where(`${table}.thread_id`, threadId).andWhere(`${table}.stream_ordering`, '<=', position));
  }
  return q;
}

/**
 * Splits keys into runs in which each `varying` value comes with one floor (the counts come back grouped by
 * that value): a user's two devices woken together share a run, a user asking with two floors (two read
 * positions in one batch) gets two. Almost always one run.
 */
function distinctRounds<T extends { key: UnreadCountKey }>(items: readonly T[], varying: (k: UnreadCountKey) => string): T[][] {
  const rounds: T[][] = [];
  const floors: Array<Map<string, string>> = [];
  for (const item of items) {
    const v = varying(item.key);
    const floor = floorSignature(item.key.floor);
    let i = floors.findIndex((f) => (f.get(v) ?? floor) === floor);
    if (i < 0) {
      i = rounds.length;
      rounds.push([]);
      floors.push(new Map());
    }
    (rounds[i] as T[]).push(item);
    (floors[i] as Map<string, string>).set(v, floor);
  }
  return rounds;
}

// Push actions live in two tables (migrations/0024_push_actions_staging.ts): on SQLite, the actions of an event
// that notifies many members go to the staging table as one row keyed by its position (0031), at the table's
// end (insertActions says when); push-action-moves.ts moves them in batches to the main table, a row per member
// keyed user first for the readers, where all other rows are written directly. On SQLite every read asks both
// in one statement (UNION ALL: one snapshot, so a move in between neither hides a row nor shows it twice), and
// a row in both (an event evaluated again after its rows moved, or a move between its transactions) counts
// once, as the main table has it. PostgreSQL never stages, and reads only the main table.

/** A push action's identity in either table: one row per user and event. */
const actionKey = (r: ActionDbRow): string => `${r.user_id}\u0000${String(r.stream_ordering)}`;

/** Users per coalesced push-actions read (coalesced-reads.ts). */
const USER_BATCH = 500;

/** Pushers (and users) kept at most; past it the cache starts over. */
const MAX_CACHED_PUSHER_ROWS = 50_000;

export class KnexPushStore implements PushStore {
  /** One room's unread counts for each member woken by a message there, read together (coalesced-reads.ts). */
  private readonly unreadCounts = new CoalescedReads<UnreadCountKey, Map<string, ThreadCounts>>((keys) => this.readUnreadCounts(keys), USER_BATCH);
  /**
   * Each user's pushers, as the room writer asks for every notified member of every message (a round trip
   * per message on PostgreSQL). Pushers change rarely and only through this store, so any change empties
   * it (commit-cache.ts: a read that a change overtook does not fill it).
   */
  private readonly pushersByUser = new CommitCache<string, PusherRow[]>({
    weigh: (rows) => rows.length + 1,
    copy: (rows) => rows.map((r) => ({ ...r })),
    maxWeight: MAX_CACHED_PUSHER_ROWS,
  });

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
  ) {}

  async getUserRules(userId: string): Promise<StoredPushRule[]> {
    const rows = await this.knex('push_rules').where({ user_id: userId }).orderBy('priority', 'desc');
    return rows.map((r: { kind: string; rule_id: string; priority: unknown; rule_json: string }) => ({
      kind: r.kind,
      ruleId: r.rule_id,
      priority: num(r.priority, 'push_rules.priority'),
      rule: parseObject(r.rule_json),
    }));
  }

  async getUserOverrides(userId: string): Promise<StoredPushRuleOverride[]> {
    const rows = await this.knex('push_rule_overrides').where({ user_id: userId });
    return rows.map((r: { kind: string; rule_id: string; enabled: unknown; actions_json: string | null }) => ({
      kind: r.kind,
      ruleId: r.rule_id,
      enabled: r.enabled === null || r.enabled === undefined ? null : bool(r.enabled),
      actions: r.actions_json === null ? null : parseArray(r.actions_json),
    }));
  }

  async putUserRule(userId: string, rule: StoredPushRule): Promise<void> {
    await this.dialect.upsert(
      this.knex,
      'push_rules',
      { user_id: userId, kind: rule.kind, rule_id: rule.ruleId, priority: rule.priority, rule_json: JSON.stringify(rule.rule) },
      ['user_id', 'kind', 'rule_id'],
    );
  }

  async deleteUserRule(userId: string, kind: string, ruleId: string): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const n = await trx('push_rules').where({ user_id: userId, kind, rule_id: ruleId }).delete();
      await trx('push_rule_overrides').where({ user_id: userId, kind, rule_id: ruleId }).delete();
      return n > 0;
    });
  }

  async putOverride(userId: string, kind: string, ruleId: string, change: { enabled?: boolean; actions?: JsonValue[] }): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const key = { user_id: userId, kind, rule_id: ruleId };
      const existing = (await trx('push_rule_overrides').where(key).first()) as { enabled: unknown; actions_json: string | null } | undefined;
      const enabled = change.enabled ?? (existing && existing.enabled !== null ? bool(existing.enabled) : null);
      const actionsJson = change.actions !== undefined ? JSON.stringify(change.actions) : (existing?.actions_json ?? null);
      if (existing) await trx('push_rule_overrides').where(key).update({ enabled, actions_json: actionsJson });
      else await trx('push_rule_overrides').insert({ ...key, enabled, actions_json: actionsJson });
    });
  }

  async addPushActions(rows: readonly PushActionRow[]): Promise<void> {
    const writes = new WriteBatch(this.dialect);
    insertActions(writes, this.knex, this.dialect, rows);
    await writes.flush(this.knex);
  }

  // One transaction instead of three: each commit costs SQLite a WAL write of every page it touched (and
  // Postgres a flush).
  async recordEvaluation(batch: PushEvaluationBatch): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const writes = new WriteBatch(this.dialect);
      writePushEvaluation(writes, trx, this.dialect, batch);
      await writes.flush(trx);
    });
  }

  /**
   * `read`'s rows from both tables in stream order, one statement. Each side is wrapped as a subquery (SQLite
   * takes no ORDER BY or LIMIT on a member of a compound select) and names its columns in one order (a compound
   * select matches them by position, and the tables' orders differ).
   */
  private async fromBoth(read: (source: Knex.QueryBuilder) => Knex.QueryBuilder, order: 'asc' | 'desc'): Promise<ActionDbRow[]> {
    const side = (source: Knex.QueryBuilder, staged: 0 | 1) =>
      this.knex.select([...ACTION_COLUMNS, this.knex.raw(`${staged} as staged`)]).from(read(source).orderBy('stream_ordering', order).as(staged ? 's' : 'k'));
    const main = side(this.knex(ACTIONS), 0);
    const rows: Array<ActionDbRow & { staged: unknown }> = await (stagesOn(this.dialect) ? main.unionAll(side(this.knex.from(stagedActions(this.knex, 'a')), 1)) : main);
    const kept = new Set(rows.filter((r) => !bool(r.staged)).map(actionKey));
    const so = (r: ActionDbRow) => num(r.stream_ordering, 'event_push_actions.stream_ordering');
    return rows.filter((r) => !bool(r.staged) || !kept.has(actionKey(r))).sort(order === 'asc' ? (a, b) => so(a) - so(b) : (a, b) => so(b) - so(a));
  }

  countUnreadPushActions(userId: string, roomId: string, floor: UnreadFloor): Promise<Map<string, ThreadCounts>> {
    return this.unreadCounts.get({ userId, roomId, floor });
  }

  /**
   * Counted in the database, per thread: a member who never reads a busy room has a row per message since,
   * and every sync of theirs would otherwise carry them all over and parse them. A batch of one user's many
   * rooms (an initial sync) is counted per user, in chunks of rooms; the members woken by one message per room.
   * Either way one statement asks for many keys, each term (`stream_ordering > after`, minus the rows of
   * threads read further) served by the (user_id, room_id, stream_ordering) index, and keys with the same
   * floor share a term.
   */
  private async readUnreadCounts(keys: readonly UnreadCountKey[]): Promise<Map<string, ThreadCounts>[]> {
    const out = keys.map(() => new Map<string, ThreadCounts>());
    const perUser = new Set(keys.map((k) => k.userId)).size < new Set(keys.map((k) => k.roomId)).size;
    const [fixed, varying] = perUser ? (['user_id', 'room_id'] as const) : (['room_id', 'user_id'] as const);
    const valueOf = (k: UnreadCountKey, column: 'user_id' | 'room_id') => (column === 'user_id' ? k.userId : k.roomId);
    for (const group of groupKeys(keys, (k) => valueOf(k, fixed)).values()) {
      const size = perUser ? ROOMS_PER_STATEMENT : USER_BATCH;
      for (const part of distinctRounds(group, (k) => valueOf(k, varying)).flatMap((round) => chunks(round, size))) {
        const terms = [...groupBy(part, ({ key }) => floorSignature(key.floor)).values()].map((same) => ({
          values: same.map(({ key }) => valueOf(key, varying)),
          floor: (same[0] as { key: UnreadCountKey }).key.floor,
        }));
        const where = (q: Knex.QueryBuilder, table: string) =>
          q.where(`${table}.${fixed}`, valueOf((part[0] as { key: UnreadCountKey }).key, fixed)).andWhere((w) => {
            for (const t of terms) void w.orWhere((term) => unreadTerm(term.whereIn(`${table}.${varying}`, t.values), table, t.floor));
          });
        const columns = [varying, 'thread_id', 'notify', 'highlight'];
        const kept = where(this.knex(`${ACTIONS} as k`).select(columns.map((c) => `k.${c}`)), 'k');
        // A row in both tables (an event evaluated again after its rows moved, or a move between its
        // transactions) counts once, as the main table has it.
        const staged = () =>
          where(this.knex.from(stagedActions(this.knex, 's')).select(columns.map((c) => `s.${c}`)), 's').whereNotExists((q) =>
            void q.select(this.knex.raw('1')).from(`${ACTIONS} as m`).whereRaw('m.user_id = s.user_id and m.stream_ordering = s.stream_ordering'),
          );
        const rows: Array<{ v: string; thread_id: string; n: unknown; h: unknown }> = await this.knex
          .select({ v: varying, thread_id: 'thread_id' })
          .select(this.knex.raw('sum(case when notify then 1 else 0 end) as n'), this.knex.raw('sum(case when highlight then 1 else 0 end) as h'))
          .from((stagesOn(this.dialect) ? kept.unionAll(staged()) : kept).as('a'))
          .groupBy(varying, 'thread_id');
        const byValue = groupBy(rows, (r) => r.v);
        for (const { key, index } of part) {
          const counts = out[index] as Map<string, ThreadCounts>;
          for (const r of byValue.get(valueOf(key, varying)) ?? []) {
            counts.set(r.thread_id, { notify: num(r.n ?? 0, 'unread notify count'), highlight: num(r.h ?? 0, 'unread highlight count') });
          }
        }
      }
    }
    return out;
  }

  async getRoomsWithPushActions(userId: string, after: number): Promise<string[]> {
    const side = (source: Knex.QueryBuilder) => source.select('room_id').where({ user_id: userId }).andWhere('stream_ordering', '>', after);
    const kept = side(this.knex(ACTIONS)).distinct();
    const rows: Array<{ room_id: string }> = await (stagesOn(this.dialect) ? kept.union(side(this.knex.from(stagedActions(this.knex, 's')))) : kept);
    return rows.map((r) => r.room_id);
  }

  async getNotifications(userId: string, opts: { before: number | null; limit: number; onlyHighlight: boolean }): Promise<PushActionRow[]> {
    const rows = await this.fromBoth((source) => {
      const q = source.where({ user_id: userId });
      if (opts.before !== null) q.andWhere('stream_ordering', '<', opts.before);
      if (opts.onlyHighlight) q.andWhere({ highlight: true });
      return q.limit(opts.limit);
    }, 'desc');
    return rows.slice(0, opts.limit).map(toAction);
  }

  get stagesPushActions(): boolean {
    return stagesOn(this.dialect);
  }

  rotatePushActions(maxRows: number): Promise<number> {
    return stagesOn(this.dialect) ? movePushActions(this.knex, maxRows) : Promise.resolve(0);
  }

  async getRoomsWithEventsInRange(from: number, to: number): Promise<Array<{ roomId: string; maxStreamOrdering: number }>> {
    if (to <= from) return [];
    const rows: Array<{ room_id: string; m: unknown }> = await this.knex('events')
      .select('room_id')
      .max({ m: 'stream_ordering' })
      .where('stream_ordering', '>', from)
      .andWhere('stream_ordering', '<=', to)
      .andWhere('outlier', false)
      .groupBy('room_id');
    return rows.map((r) => ({ roomId: r.room_id, maxStreamOrdering: num(r.m, 'events.stream_ordering') }));
  }

  async getPushers(userId: string): Promise<PusherRow[]> {
    const rows: PusherDbRow[] = await this.knex('pushers').where({ user_id: userId }).orderBy('id', 'asc');
    return rows.map(toPusher);
  }

  async getPushersOfUsers(userIds: readonly string[]): Promise<PusherRow[]> {
    const users = [...new Set(userIds)];
    const kept = new Map(users.map((u) => [u, this.pushersByUser.get(u)]));
    const missing = users.filter((u) => kept.get(u) === undefined);
    if (missing.length > 0) {
      const started = this.pushersByUser.startRead();
      const read = new Map<string, PusherRow[]>(missing.map((u) => [u, []]));
      const size = this.dialect.maxBindParams - 100;
      for (let i = 0; i < missing.length; i += size) {
        const rows: PusherDbRow[] = await this.knex('pushers').whereIn('user_id', missing.slice(i, i + size)).orderBy('id', 'asc');
        for (const r of rows) read.get(r.user_id)?.push(toPusher(r));
      }
      for (const [u, rows] of read) {
        this.pushersByUser.fill(started, u, rows);
        kept.set(u, rows);
      }
    }
    return users.flatMap((u) => kept.get(u) ?? []);
  }

  async getPusherById(id: number): Promise<PusherRow | undefined> {
    const row = (await this.knex('pushers').where({ id }).first()) as PusherDbRow | undefined;
    return row ? toPusher(row) : undefined;
  }

  async upsertPusher(row: Omit<PusherRow, 'id'>): Promise<number> {
    const values = {
      user_id: row.userId,
      access_token_id: row.accessTokenId,
      device_id: row.deviceId,
      kind: row.kind,
      app_id: row.appId,
      pushkey: row.pushkey,
      app_display_name: row.appDisplayName,
      device_display_name: row.deviceDisplayName,
      profile_tag: row.profileTag,
      lang: row.lang,
      data_json: JSON.stringify(row.data),
      created_ts: row.createdTs,
    };
    const id = await this.knex.transaction(async (trx) => {
      const key = { user_id: row.userId, app_id: row.appId, pushkey: row.pushkey };
      const existing = (await trx('pushers').where(key).first()) as { id: unknown } | undefined;
      if (existing) {
        const { created_ts: _created, ...rest } = values;
        await trx('pushers').where(key).update(rest);
        return num(existing.id, 'pushers.id');
      }
      return this.dialect.insertReturningId(trx, 'pushers', values, 'id');
    });
    this.pushersByUser.clear();
    return id;
  }

  async deletePusher(userId: string, appId: string, pushkey: string): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const ids = (await trx('pushers').where({ user_id: userId, app_id: appId, pushkey }).select('id')) as Array<{ id: unknown }>;
      if (ids.length === 0) return;
      const list = ids.map((r) => num(r.id, 'pushers.id'));
      await trx('push_queue').whereIn('pusher_id', list).delete();
      await trx('pushers').whereIn('id', list).delete();
    });
    this.pushersByUser.clear();
  }

  async deletePushersOfDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.knex.transaction(async (trx) => {
      for (let i = 0; i < deviceIds.length; i += 500) {
        const ids = (await trx('pushers').where({ user_id: userId }).whereIn('device_id', deviceIds.slice(i, i + 500)).select('id')) as Array<{ id: unknown }>;
        if (ids.length === 0) continue;
        const list = ids.map((r) => num(r.id, 'pushers.id'));
        await trx('push_queue').whereIn('pusher_id', list).delete();
        await trx('pushers').whereIn('id', list).delete();
      }
    });
    this.pushersByUser.clear();
  }

  async deletePushersOfOthers(userId: string, appId: string, pushkey: string): Promise<void> {
    await this.knex.transaction(async (trx) => {
      const ids = (await trx('pushers').where({ app_id: appId, pushkey }).andWhereNot({ user_id: userId }).select('id')) as Array<{ id: unknown }>;
      if (ids.length === 0) return;
      const list = ids.map((r) => num(r.id, 'pushers.id'));
      await trx('push_queue').whereIn('pusher_id', list).delete();
      await trx('pushers').whereIn('id', list).delete();
    });
    this.pushersByUser.clear();
  }

  async enqueuePush(rows: ReadonlyArray<Omit<PushQueueRow, 'id' | 'attempts'>>): Promise<void> {
    const writes = new WriteBatch(this.dialect);
    insertQueue(writes, rows);
    await writes.flush(this.knex);
  }

  async duePushes(now: number, limit: number): Promise<PushQueueRow[]> {
    const rows: QueueDbRow[] = await this.knex('push_queue').where('next_attempt_ts', '<=', now).orderBy('id', 'asc').limit(limit);
    return rows.map(toQueue);
  }

  async nextPushDue(): Promise<number | null> {
    const row = (await this.knex('push_queue').min({ m: 'next_attempt_ts' }).first()) as { m: unknown } | undefined;
    return row?.m === null || row?.m === undefined ? null : num(row.m, 'push_queue.next_attempt_ts');
  }

  async deletePush(id: number): Promise<void> {
    await this.knex('push_queue').where({ id }).delete();
  }

  async reschedulePush(id: number, attempts: number, nextAttemptTs: number): Promise<void> {
    await this.knex('push_queue').where({ id }).update({ attempts, next_attempt_ts: nextAttemptTs });
  }
}

/**
 * Adds an evaluation's push actions, gateway deliveries and (when given) the evaluator's position to `writes`:
 * the push store's own transaction, or the room writer's, which writes them with the events they belong to.
 */
export function writePushEvaluation(writes: WriteBatch, db: Knex, dialect: Dialect, batch: PushEvaluationBatch): void {
  insertActions(writes, db, dialect, batch.actions);
  insertQueue(writes, batch.queue);
  if (batch.position !== null) writes.add(setPositionQuery(db, batch.position.stream, batch.position.instance, batch.position.value, Date.now()));
}

/**
 * Events with at least this many push action rows have them staged (SQLite only). Below it, the rows of one
 * event touch about as many pages wherever they go, and staging would only add the move.
 */
export const STAGE_MIN_ROWS = 8;

// Staging pays on SQLite, which writes every page a commit dirtied into its WAL whole: a big room's message
// dirtied a page per member there. PostgreSQL logs each index entry, not the page, wherever it lands, so a
// move would only write every row twice (measured: 4-12% fewer sends per second with staging there).
function stagesOn(dialect: Dialect): boolean {
  return dialect.engine === 'sqlite';
}

function insertActions(writes: WriteBatch, db: Knex, dialect: Dialect, rows: readonly PushActionRow[]): void {
  if (rows.length === 0) return;
  const perEvent = new Map<number, number>();
  for (const r of rows) perEvent.set(r.streamOrdering, (perEvent.get(r.streamOrdering) ?? 0) + 1);
  const staged = (r: PushActionRow) => stagesOn(dialect) && (perEvent.get(r.streamOrdering) ?? 0) >= STAGE_MIN_ROWS;
  const toStage = rows.filter(staged);
  if (toStage.length > 0) writes.add(...stageStatements(db, toStage));
  insertActionRows(writes, rows.filter((r) => !staged(r)));
}

function insertActionRows(writes: WriteBatch, rows: readonly PushActionRow[]): void {
  if (rows.length === 0) return;
  const json = jsonOfActions();
  const dbRows = rows.map((r) => ({
    user_id: r.userId,
    event_id: r.eventId,
    room_id: r.roomId,
    stream_ordering: r.streamOrdering,
    thread_id: r.threadId,
    notify: r.notify,
    highlight: r.highlight,
    actions_json: json(r.actions),
    ts: r.ts,
  }));
  writes.rows(ACTIONS, dbRows, ['user_id', 'stream_ordering']);
}

function insertQueue(writes: WriteBatch, rows: ReadonlyArray<Omit<PushQueueRow, 'id' | 'attempts'>>): void {
  if (rows.length === 0) return;
  const dbRows = rows.map((r) => ({
    pusher_id: r.pusherId,
    user_id: r.userId,
    event_id: r.eventId,
    room_id: r.roomId,
    actions_json: JSON.stringify(r.actions),
    attempts: 0,
    next_attempt_ts: r.nextAttemptTs,
    created_ts: r.nextAttemptTs,
  }));
  writes.rows('push_queue', dbRows, ['pusher_id', 'event_id']);
}
