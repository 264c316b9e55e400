import type { Knex } from 'knex';

// Rooms, events and state. The contract between the room writer (src/rooms), the sync builders and the
// read endpoints; see the comments on each table for who writes it.
//
// Ordering: `stream_ordering` is the server's total order of persisted events (positive for events that
// entered the live timeline, negative for backfilled events and outliers, allocated by a descending
// generator) and is what sync tokens are made of. `depth` is the DAG's topological order from the PDU.
//
// State: snapshots are "state groups", stored as deltas against a previous group (prev_group) with the
// chain length capped, so the table grows with changes, not with room size times events.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rooms', (t) => {
    t.string('room_id', 255).primary();
    t.string('room_version', 32).notNullable();
    t.string('creator', 255).nullable();
    // Listed in our public room directory (/directory/list/room).
    t.boolean('is_public').notNullable().defaultTo(false);
    t.bigInteger('created_ts').notNullable();
  });

  await knex.schema.createTable('events', (t) => {
    t.string('event_id', 255).primary();
    t.string('room_id', 255).notNullable();
    t.bigInteger('stream_ordering').notNullable().unique();
    t.bigInteger('depth').notNullable();
    t.string('type', 255).notNullable();
    t.string('state_key', 255).nullable();
    t.string('sender', 255).notNullable();
    t.bigInteger('origin_server_ts').notNullable();
    // The PDU exactly as created or received (v3+ PDUs carry no event_id), as JSON text.
    t.text('json').notNullable();
    // Events we hold without their place in the DAG (auth events fetched for a join, invites over federation).
    t.boolean('outlier').notNullable().defaultTo(false);
    // Passed auth against its own state but not against current state: stored, never served as timeline.
    t.boolean('soft_failed').notNullable().defaultTo(false);
    t.text('rejected_reason').nullable();
    // For state events: the state event this one replaced (clients get its content as unsigned.prev_content).
    t.string('replaces_state', 255).nullable();
    // The redaction event that applies to this event, once it is valid to apply.
    t.string('redacted_by', 255).nullable();
    t.bigInteger('received_ts').notNullable();
    t.index(['room_id', 'stream_ordering']);
    t.index(['room_id', 'depth', 'stream_ordering']);
    t.index(['room_id', 'type', 'state_key']);
  });

  await knex.schema.createTable('event_edges', (t) => {
    t.string('event_id', 255).notNullable();
    t.string('prev_event_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.primary(['event_id', 'prev_event_id']);
    t.index(['prev_event_id']);
  });

  await knex.schema.createTable('event_auth_edges', (t) => {
    t.string('event_id', 255).notNullable();
    t.string('auth_event_id', 255).notNullable();
    t.primary(['event_id', 'auth_event_id']);
    t.index(['auth_event_id']);
  });

  // The room's current DAG tips: the prev_events of the next event we create.
  await knex.schema.createTable('forward_extremities', (t) => {
    t.string('room_id', 255).notNullable();
    t.string('event_id', 255).notNullable();
    t.primary(['room_id', 'event_id']);
  });

  // prev_events we reference but do not hold: where backfill continues.
  await knex.schema.createTable('backward_extremities', (t) => {
    t.string('room_id', 255).notNullable();
    t.string('event_id', 255).notNullable();
    t.primary(['room_id', 'event_id']);
  });

  await knex.schema.createTable('state_groups', (t) => {
    t.bigInteger('id').primary();
    t.string('room_id', 255).notNullable();
    // The group this one is a delta against; null for a full snapshot.
    t.bigInteger('prev_group').nullable();
    // Length of the delta chain down to a full snapshot (capped by the writer).
    t.integer('delta_depth').notNullable().defaultTo(0);
    t.index(['room_id']);
    t.index(['prev_group']);
  });

  // Entries of a group: the whole state for a snapshot, the changes for a delta (event_id null = key removed).
  await knex.schema.createTable('state_group_entries', (t) => {
    t.bigInteger('state_group').notNullable();
    t.string('type', 255).notNullable();
    t.string('state_key', 255).notNullable();
    t.string('event_id', 255).nullable();
    t.primary(['state_group', 'type', 'state_key']);
  });

  // The state before and after each (non-outlier) event. For non-state events both are the same group.
  await knex.schema.createTable('event_state', (t) => {
    t.string('event_id', 255).primary();
    t.bigInteger('state_group_before').notNullable();
    t.bigInteger('state_group_after').notNullable();
    t.index(['state_group_after']);
  });

  await knex.schema.createTable('current_state', (t) => {
    t.string('room_id', 255).notNullable();
    t.string('type', 255).notNullable();
    t.string('state_key', 255).notNullable();
    t.string('event_id', 255).notNullable();
    // Denormalised for m.room.member rows so membership queries avoid parsing JSON.
    t.string('membership', 32).nullable();
    t.primary(['room_id', 'type', 'state_key']);
  });

  // Every change of current state, in stream order: incremental sync's state deltas and device-list
  // tracking read it. event_id null means the key left current state (state resolution can do that).
  await knex.schema.createTable('current_state_delta_stream', (t) => {
    t.bigIncrements('id');
    t.bigInteger('stream_ordering').notNullable();
    t.string('room_id', 255).notNullable();
    t.string('type', 255).notNullable();
    t.string('state_key', 255).notNullable();
    t.string('event_id', 255).nullable();
    t.string('prev_event_id', 255).nullable();
    t.index(['stream_ordering']);
    t.index(['room_id', 'stream_ordering']);
  });

  // Every membership event (history), for /members?at= and membership-at-event checks.
  await knex.schema.createTable('room_memberships', (t) => {
    t.string('event_id', 255).primary();
    t.string('room_id', 255).notNullable();
    t.string('user_id', 255).notNullable();
    t.string('sender', 255).notNullable();
    t.string('membership', 32).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.text('display_name').nullable();
    t.text('avatar_url').nullable();
    t.index(['user_id', 'room_id']);
    t.index(['room_id', 'stream_ordering']);
  });

  // Current membership per (room, user), local and remote users alike: joined_rooms, sync's room list,
  // joined member lists. Mirrors current_state's member rows.
  await knex.schema.createTable('current_memberships', (t) => {
    t.string('room_id', 255).notNullable();
    t.string('user_id', 255).notNullable();
    t.string('membership', 32).notNullable();
    t.string('event_id', 255).notNullable();
    t.bigInteger('stream_ordering').notNullable();
    t.primary(['room_id', 'user_id']);
    t.index(['user_id', 'membership']);
  });

  // Client transaction ids (PUT /send/{type}/{txnId}), per user and device, so retries never duplicate,
  // also across restarts.
  await knex.schema.createTable('event_txn_ids', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).notNullable();
    t.string('txn_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.string('event_id', 255).notNullable();
    t.bigInteger('created_ts').notNullable();
    t.primary(['user_id', 'device_id', 'txn_id']);
    t.index(['event_id']);
  });

  await knex.schema.createTable('room_aliases', (t) => {
    t.string('room_alias', 255).primary();
    t.string('room_id', 255).notNullable();
    t.string('creator', 255).nullable();
    // JSON array of server names that can be joined through.
    t.text('servers').notNullable();
    t.bigInteger('created_ts').notNullable();
    t.index(['room_id']);
  });

  await knex.schema.createTable('redactions', (t) => {
    t.string('event_id', 255).primary();
    t.string('redacts', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.index(['redacts']);
  });

  // Rooms a user has forgotten (POST /rooms/{roomId}/forget) after leaving. The room writer deletes the row when
  // the user is invited, knocks or joins again.
  await knex.schema.createTable('room_forgotten', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('room_id', 255).notNullable();
    t.bigInteger('forgotten_ts').notNullable();
    t.primary(['user_id', 'room_id']);
  });
}
