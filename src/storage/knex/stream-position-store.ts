import type { Knex } from 'knex';
import type { StreamPositionStore } from '../interfaces/index.js';
import { toSafeNumber } from './dialect.js';
import { WrittenSql } from './dialect-writes.js';

const TABLE = 'stream_positions';
const SET_POSITION_SQL =
  `insert into ${TABLE} (stream_name, instance_name, stream_position, updated_ts) values (?, ?, ?, ?) ` +
  'on conflict (stream_name, instance_name) do update set stream_position = excluded.stream_position, updated_ts = excluded.updated_ts';

interface PositionRow {
  instance_name: string;
  stream_position: unknown;
}

export class KnexStreamPositionStore implements StreamPositionStore {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
  ) {}

  async getPosition(stream: string, instance: string): Promise<number | null> {
    const row: PositionRow | undefined = await this.knex(TABLE)
      .select('instance_name', 'stream_position')
      .where({ stream_name: stream, instance_name: instance })
      .first();
    return row === undefined ? null : toSafeNumber(row.stream_position, 'stream_position');
  }

  async setPosition(stream: string, instance: string, position: number): Promise<void> {
    await setPositionQuery(this.knex, stream, instance, position, this.now()).run();
  }

  async getPositions(stream: string): Promise<Map<string, number>> {
    const rows: PositionRow[] = await this.knex(TABLE)
      .select('instance_name', 'stream_position')
      .where({ stream_name: stream })
      .orderBy('instance_name');
    return new Map(rows.map((r) => [r.instance_name, toSafeNumber(r.stream_position, 'stream_position')]));
  }
}

/** The statement that records `instance`'s position in `stream` (an upsert), for a caller's own transaction. */
export function setPositionQuery(db: Knex, stream: string, instance: string, position: number, now: number): WrittenSql {
  if (!Number.isSafeInteger(position)) throw new RangeError(`stream position must be a safe integer, got ${position}`);
  // Part of the commits of push actions: written as SQL, not compiled by knex's builder (dialect-writes.ts).
  return new WrittenSql(db, SET_POSITION_SQL, [stream, instance, position, now]);
}
