import type { Knex } from 'knex';
import type { PushActionRow } from '../interfaces/index.js';
import { WrittenSql, type Row } from './dialect-writes.js';
import { toSafeNumber } from './dialect.js';

// Staged push actions (SQLite only) and their move into the per-user table (PushStore.rotatePushActions;
// push-store.ts says why rows are staged, migrations/0024, 0027 and 0031 how the tables are keyed).
//
// Since 0031 a staged event is one row per distinct outcome (notify, highlight, actions) of its evaluation,
// usually one or two: the members with that outcome are a JSON array of user ids in `users_json`, `n` of them.
// Staged a row per member, a message in a 50-member room was 49 rows of nine values each, inserted with the
// message and deleted again by the move a moment later: ~0.1 ms of SQLite per message, about as much as the
// message's own COMMIT (README, the 13:11 pass of 2026-11-29). The readers and the move unpack the arrays in
// SQLite (json_each) and see the same rows as before.

export const ACTIONS = 'event_push_actions';
export const STAGING = 'event_push_actions_staging';
export const ACTION_COLUMNS = ['user_id', 'event_id', 'room_id', 'stream_ordering', 'thread_id', 'notify', 'highlight', 'actions_json', 'ts'];

/**
 * The staged push actions as rows of the main table's columns (ACTION_COLUMNS): a subquery to read from, named
 * `alias`. A filter on stream_ordering reaches the staging table's key.
 */
export function stagedActions(knex: Knex, alias: string): Knex.Raw {
  return knex.raw(
    `(select j.value as user_id, p.event_id, p.room_id, p.stream_ordering, p.thread_id, p.notify, p.highlight, p.actions_json, p.ts
      from ${STAGING} as p, json_each(p.users_json) as j) as ??`,
    [alias],
  );
}

/**
 * JSON.stringify for the actions of many rows: the evaluator gives every member a rule matched the same
 * array (protocol/push/evaluate.ts), so each array is written once.
 */
export function jsonOfActions(): (actions: readonly unknown[]) => string {
  const seen = new Map<readonly unknown[], string>();
  return (actions) => {
    let text = seen.get(actions);
    if (text === undefined) {
      text = JSON.stringify(actions);
      seen.set(actions, text);
    }
    return text;
  };
}

const STAGED_COLUMNS = ['stream_ordering', 'variant', 'event_id', 'room_id', 'thread_id', 'notify', 'highlight', 'actions_json', 'ts', 'n', 'users_json'];
/** Staging rows per insert statement: 11 parameters each, well inside SQLite's limit on them. */
const STAGED_ROWS_PER_STATEMENT = 500;

/**
 * The inserts that stage `rows` (SQLite; all rows of one event share its stream ordering): a row per event and
 * outcome. A member named twice for one event keeps the first. An event staged already (evaluated again before
 * its move, as the start-up catch-up may do) keeps its first evaluation whole: its outcomes may differ, and a
 * member in two of them would count twice.
 */
export function stageStatements(db: Knex, rows: readonly PushActionRow[]): WrittenSql[] {
  const staged = stagedRows(rows);
  const tuple = `(${STAGED_COLUMNS.map(() => '?').join(', ')})`;
  const out: WrittenSql[] = [];
  for (let i = 0; i < staged.length; i += STAGED_ROWS_PER_STATEMENT) {
    const part = staged.slice(i, i + STAGED_ROWS_PER_STATEMENT);
    // SQLite names a VALUES list's columns column1, column2, ...; it reads the whole SELECT before inserting,
    // so an event's own outcomes do not hide one another.
    const sql =
      `insert into ${STAGING} (${STAGED_COLUMNS.join(', ')}) select * from (values ${part.map(() => tuple).join(', ')}) as v ` +
      `where not exists (select 1 from ${STAGING} as s where s.stream_ordering = v.column1)`;
    out.push(new WrittenSql(db, sql, part.flatMap((r) => STAGED_COLUMNS.map((c) => r[c] ?? null))));
  }
  return out;
}

function stagedRows(rows: readonly PushActionRow[]): Row[] {
  const json = jsonOfActions();
  const events = new Map<number, { first: PushActionRow; seen: Set<string>; outcomes: Map<string, { notify: boolean; highlight: boolean; actions: string; users: string[] }> }>();
  for (const r of rows) {
    let e = events.get(r.streamOrdering);
    if (e === undefined) events.set(r.streamOrdering, (e = { first: r, seen: new Set(), outcomes: new Map() }));
    if (e.seen.has(r.userId)) continue;
    e.seen.add(r.userId);
    const actions = json(r.actions);
    const key = `${r.notify ? 1 : 0}${r.highlight ? 1 : 0}${actions}`;
    let o = e.outcomes.get(key);
    if (o === undefined) e.outcomes.set(key, (o = { notify: r.notify, highlight: r.highlight, actions, users: [] }));
    o.users.push(r.userId);
  }
  return [...events.values()].flatMap(({ first, outcomes }) =>
    [...outcomes.values()].map((o, variant) => ({
      stream_ordering: first.streamOrdering,
      variant,
      event_id: first.eventId,
      room_id: first.roomId,
      thread_id: first.threadId,
      notify: o.notify ? 1 : 0,
      highlight: o.highlight ? 1 : 0,
      actions_json: o.actions,
      ts: first.ts,
      n: o.users.length,
      users_json: JSON.stringify(o.users),
    })),
  );
}

/** Most staged rows one SQLite transaction of a move takes (rotatePushActions): bounds how long it holds the event loop. */
export const MOVE_ROWS_PER_TRANSACTION = 6_000;
/**
 * Pause between a move's transactions. SQLite's one connection goes to its waiters in turn, and a send needs it
 * several times before its commit, so with the transactions back to back each of a send's steps waited for one:
 * one client in a 1,000-member room had a p99 of 257–332 ms; yielding once between them 123–129 ms, pausing
 * 20 ms 74–81 ms, 50 ms 66 ms (bench/profile-send.ts 8 1000 1; README, the 16:45 pass).
 */
const MOVE_PAUSE_MS = 20;

/**
 * Upper bounds of `parts` user-id ranges, taken from `users` (sorted): each range is (previous bound, bound], the
 * last one open above. Fewer ranges when there are fewer users than parts; none when one part is enough.
 */
export function userRangeBounds(users: readonly string[], parts: number): string[] {
  if (parts <= 1 || users.length < 2) return [];
  const per = Math.ceil(users.length / Math.min(parts, users.length));
  const bounds: string[] = [];
  for (let i = per - 1; i < users.length - 1; i += per) bounds.push(users[i] as string);
  return bounds;
}

/**
 * Moves the staged events up to a cut of about `maxRows` rows (whole events) into the main table; returns how
 * many rows those events held. SQLite only (only SQLite stages).
 *
 * A move writes one page of each of the main table's B-trees for every user it has rows of, so the more of each
 * user's rows one move takes, the fewer pages per row (README, the 16:45 pass: a 1,000-member room wrote 1,317
 * WAL pages per message with moves of 6,000 rows). A big move is cut into transactions by user, each at most
 * MOVE_ROWS_PER_TRANSACTION rows, because SQLite runs on the event loop and holds the write lock for a whole
 * transaction. Each transaction copies every staged row of its users up to the cut, and the last one also
 * deletes the events the move planned; between transactions a row may be in both tables, which every reader
 * counts once, as the main table has it. An event at or below the cut that commits during the move (its stream
 * ordering was taken earlier) was not planned: it stays staged for the next move, which copies its rows again
 * where they are missing.
 */
export async function movePushActions(knex: Knex, maxRows: number): Promise<number> {
  const plan = await knex.transaction(async (trx) => {
    const cut = await rotationCut(trx, maxRows);
    if (cut === null) return null;
    const events: Array<{ stream_ordering: unknown; n: unknown }> = await trx(STAGING).select('stream_ordering').sum({ n: 'n' }).where('stream_ordering', '<=', cut).groupBy('stream_ordering');
    const rows = events.reduce((sum, e) => sum + toSafeNumber(e.n, `${STAGING}.n`), 0);
    // The users of the newest event at the cut, in key order, split the user ids into ranges: in a big room that
    // event names nearly every user with rows, so the ranges hold about equal shares.
    const users: Array<{ user_id: string }> = await trx.from(stagedActions(trx, 's')).select('user_id').where('stream_ordering', cut).orderBy('user_id');
    return {
      cut,
      rows,
      events: JSON.stringify(events.map((e) => toSafeNumber(e.stream_ordering, `${STAGING}.stream_ordering`))),
      bounds: userRangeBounds(users.map((u) => u.user_id), Math.ceil(rows / MOVE_ROWS_PER_TRANSACTION)),
    };
  });
  if (plan === null) return 0;
  const columns = ACTION_COLUMNS.map(() => '??').join(', ');
  for (let i = 0; i <= plan.bounds.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, MOVE_PAUSE_MS));
    const after = i === 0 ? null : (plan.bounds[i - 1] as string);
    const upTo = i === plan.bounds.length ? null : (plan.bounds[i] as string);
    await knex.transaction(async (trx) => {
      const picked = trx.from(stagedActions(trx, 's')).select(ACTION_COLUMNS).where('stream_ordering', '<=', plan.cut);
      if (after !== null) void picked.andWhere('user_id', '>', after);
      if (upTo !== null) void picked.andWhere('user_id', '<=', upTo);
      // In the main table's key order, so each user's page is visited once; a row already there (an event
      // evaluated twice, or copied by an earlier move that did not plan its event) keeps what it has.
      const { sql, bindings } = picked.orderBy(['user_id', 'stream_ordering']).toSQL();
      await trx.raw(`insert into ?? (${columns}) ${sql} on conflict do nothing`, [ACTIONS, ...ACTION_COLUMNS, ...bindings]);
      if (upTo === null) await trx.raw('delete from ?? where stream_ordering in (select value from json_each(?))', [STAGING, plan.events]);
    });
  }
  return plan.rows;
}

/** The stream position up to which a move takes staged events: whole events, about `maxRows` rows; null when none wait. */
async function rotationCut(trx: Knex.Transaction, maxRows: number): Promise<number | null> {
  const running = trx(STAGING).select('stream_ordering', trx.raw('sum(n) over (order by stream_ordering) as upto'));
  const nth: { stream_ordering: unknown } | undefined = await trx.from(running.as('c')).select('stream_ordering').where('upto', '>=', Math.max(1, maxRows)).orderBy('stream_ordering').first();
  const last: { m?: unknown } | undefined = nth ? undefined : await trx(STAGING).max({ m: 'stream_ordering' }).first();
  const cutValue = nth ? nth.stream_ordering : last?.m;
  return cutValue === null || cutValue === undefined ? null : toSafeNumber(cutValue, `${STAGING}.stream_ordering`);
}
