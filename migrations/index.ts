import type { Knex } from 'knex';
import * as m0001 from './0001_foundation.js';
import * as m0002 from './0002_rooms.js';
import * as m0003 from './0003_accounts.js';
import * as m0004 from './0004_user_data.js';
import * as m0005 from './0005_media.js';
import * as m0006 from './0006_e2e.js';
import * as m0007 from './0007_federation.js';
import * as m0008 from './0008_push.js';
import * as m0009 from './0009_appservice.js';
import * as m0010 from './0010_federation_rooms.js';
import * as m0011 from './0011_relations_search.js';
import * as m0012 from './0012_directory_moderation.js';
import * as m0013 from './0013_state_group_chain_rows.js';
import * as m0015 from './0015_partial_state_rooms.js';
import * as m0017 from './0017_appservice_device_streams.js';
import * as m0020 from './0020_pusher_devices.js';
import * as m0022 from './0022_event_state_before_index.js';
import * as m0023 from './0023_push_actions_narrower_keys.js';
import * as m0024 from './0024_push_actions_staging.js';
import * as m0025 from './0025_search_fts_triggers.js';
import * as m0026 from './0026_fewer_btrees_per_event.js';
import * as m0027 from './0027_push_actions_staging_by_position.js';
import * as m0028 from './0028_search_index_position.js';
import * as m0029 from './0029_state_after_partial_index.js';
import * as m0030 from './0030_event_txn_ids_on_events.js';
import * as m0031 from './0031_push_actions_staged_per_event.js';

export interface MigrationModule {
  up(knex: Knex): Promise<void>;
}

export interface NamedMigration {
  /** Stored in the migrations table; never rename an entry once released. */
  readonly name: string;
  readonly migration: MigrationModule;
}

/**
 * Every migration in the order it runs. Forward-only: append new files here, never edit or
 * reorder applied ones. Listed explicitly (no directory scan) so tsx and compiled dist/ agree.
 */
export const migrations: readonly NamedMigration[] = [
  { name: '0001_foundation', migration: m0001 },
  { name: '0002_rooms', migration: m0002 },
  { name: '0003_accounts', migration: m0003 },
  { name: '0004_user_data', migration: m0004 },
  { name: '0005_media', migration: m0005 },
  { name: '0006_e2e', migration: m0006 },
  { name: '0007_federation', migration: m0007 },
  { name: '0008_push', migration: m0008 },
  { name: '0009_appservice', migration: m0009 },
  { name: '0010_federation_rooms', migration: m0010 },
  { name: '0011_relations_search', migration: m0011 },
  { name: '0012_directory_moderation', migration: m0012 },
  { name: '0013_state_group_chain_rows', migration: m0013 },
  { name: '0015_partial_state_rooms', migration: m0015 },
  { name: '0017_appservice_device_streams', migration: m0017 },
  { name: '0020_pusher_devices', migration: m0020 },
  { name: '0022_event_state_before_index', migration: m0022 },
  { name: '0023_push_actions_narrower_keys', migration: m0023 },
  { name: '0024_push_actions_staging', migration: m0024 },
  { name: '0025_search_fts_triggers', migration: m0025 },
  { name: '0026_fewer_btrees_per_event', migration: m0026 },
  { name: '0027_push_actions_staging_by_position', migration: m0027 },
  { name: '0028_search_index_position', migration: m0028 },
  { name: '0029_state_after_partial_index', migration: m0029 },
  { name: '0030_event_txn_ids_on_events', migration: m0030 },
  { name: '0031_push_actions_staged_per_event', migration: m0031 },
];
