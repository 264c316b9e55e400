import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { toSafeNumber } from './dialect.js';

// Moving staged push actions into the per-user table (PushStore.rotatePushActions; push-store.ts says why rows
// are staged, migrations/0024 and 0027 how the tables are keyed).

export const ACTIONS = 'event_push_actions';
export const STAGING = 'event_push_actions_staging';
export const ACTION_COLUMNS = ['user_id', 'event_id', 'room_id', 'stream_ordering', 'thread_id', 'notify', 'highlight', 'actions_json', 'ts'];

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

export async function movePushActions(knex: Knex, dialect: Dialect, maxRows: number): Promise<number> {
  const columns = ACTION_COLUMNS.map(() => '??').join(', ');
  if (dialect.engine === 'postgres') {
    return knex.transaction(async (trx): Promise<number> => {
      const cut = await rotationCut(trx, maxRows);
      if (cut === null) return 0;
      // One statement, so one snapshot: a room writer's transaction that commits rows at or below the cut
      // while this runs (its stream orderings were taken before ours) is neither deleted unmoved nor moved
      // twice. Its rows stay for the next move. Inserted in the main table's key order, so each user's page
      // is visited once per move; a row already there (an event evaluated twice) keeps the first evaluation,
      // as a direct insert would.
      const moved = await trx.raw(
        `with moved as (delete from ?? where ?? <= ? returning *), ins as (insert into ?? (${columns}) select ${columns} from moved order by ??, ?? on conflict do nothing) select count(*) as n from moved`,
        [STAGING, 'stream_ordering', cut, ACTIONS, ...ACTION_COLUMNS, ...ACTION_COLUMNS, 'user_id', 'stream_ordering'],
      );
      return toSafeNumber((moved as { rows: Array<{ n: unknown }> }).rows[0]?.n, 'moved push actions');
    });
  }
  // SQLite: a move writes one page of each of the main table's B-trees for every user it has rows of, so the
  // more of each user's rows one move takes, the fewer pages per row (README, the 16:45 pass: a 1,000-member
  // room wrote 1,317 WAL pages per message with moves of 6,000 rows). A big move is cut into transactions by
  // user, each at most MOVE_ROWS_PER_TRANSACTION rows, because SQLite runs on the event loop and holds the
  // write lock for a whole transaction. Each user's rows up to the cut move in one transaction, so every row
  // is in exactly one table between transactions; rows at or below the cut that commit meanwhile (their
  // stream orderings were taken earlier) move with their user's part, or in the next move.
  const plan = await knex.transaction(async (trx) => {
    const cut = await rotationCut(trx, maxRows);
    if (cut === null) return null;
    const counted: { n?: unknown } | undefined = await trx(STAGING).count({ n: '*' }).where('stream_ordering', '<=', cut).first();
    const rows = toSafeNumber(counted?.n ?? 0, 'staged push actions');
    // The users of the newest event at the cut, in key order, split the user ids into ranges: in a big room that
    // event names nearly every user with rows, so the ranges hold about equal shares.
    const users: Array<{ user_id: string }> = await trx(STAGING).select('user_id').where('stream_ordering', cut).orderBy('user_id');
    return { cut, bounds: userRangeBounds(users.map((u) => u.user_id), Math.ceil(rows / MOVE_ROWS_PER_TRANSACTION)) };
  });
  if (plan === null) return 0;
  let moved = 0;
  for (let i = 0; i <= plan.bounds.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, MOVE_PAUSE_MS));
    const after = i === 0 ? null : (plan.bounds[i - 1] as string);
    const upTo = i === plan.bounds.length ? null : (plan.bounds[i] as string);
    const range = (q: Knex.QueryBuilder) => {
      q.where('stream_ordering', '<=', plan.cut);
      if (after !== null) q.andWhere('user_id', '>', after);
      if (upTo !== null) q.andWhere('user_id', '<=', upTo);
      return q;
    };
    moved += await knex.transaction(async (trx): Promise<number> => {
      // In the main table's key order, so each user's page is visited once; a row already there (an event
      // evaluated twice) keeps the first evaluation, as a direct insert would.
      const picked = range(trx(STAGING).select(ACTION_COLUMNS)).orderBy(['user_id', 'stream_ordering']).toSQL();
      await trx.raw(`insert into ?? (${columns}) ${picked.sql} on conflict do nothing`, [ACTIONS, ...ACTION_COLUMNS, ...picked.bindings]);
      return range(trx(STAGING)).delete();
    });
  }
  return moved;
}

/** The stream position up to which a move takes staged rows: whole events, about `maxRows` rows; null when none wait. */
async function rotationCut(trx: Knex.Transaction, maxRows: number): Promise<number | null> {
  const nth: { stream_ordering: unknown } | undefined = await trx(STAGING).select('stream_ordering').orderBy('stream_ordering', 'asc').offset(Math.max(0, maxRows - 1)).limit(1).first();
  const last: { m?: unknown } | undefined = nth ? undefined : await trx(STAGING).max({ m: 'stream_ordering' }).first();
  const cutValue = nth ? nth.stream_ordering : last?.m;
  return cutValue === null || cutValue === undefined ? null : toSafeNumber(cutValue, 'event_push_actions_staging.stream_ordering');
}
