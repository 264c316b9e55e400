import type { Knex } from 'knex';

// Accounts and authentication: users, devices, access / refresh / login tokens, profiles, registration tokens
// and user-interactive auth sessions. Written by src/users and src/auth through the AccountStore.
//
// Secrets (access, refresh and login tokens) are stored only as SHA-256 hex digests: a leaked database then
// yields nothing a client could present. Password hashes are bcrypt (Synapse-compatible).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.string('user_id', 255).primary();
    // Null for accounts that cannot log in with a password (guests, appservice users, SSO-only).
    t.text('password_hash').nullable();
    t.bigInteger('created_ts').notNullable();
    t.boolean('admin').notNullable().defaultTo(false);
    t.boolean('deactivated').notNullable().defaultTo(false);
    t.boolean('is_guest').notNullable().defaultTo(false);
    // Synapse's user_type: null for normal users, e.g. 'support' or 'bot'.
    t.string('user_type', 64).nullable();
    // The appservice that registered this user, if any.
    t.string('appservice_id', 255).nullable();
    t.boolean('locked').notNullable().defaultTo(false);
    t.boolean('suspended').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('devices', (t) => {
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).notNullable();
    t.text('display_name').nullable();
    t.bigInteger('last_seen_ts').nullable();
    t.string('last_seen_ip', 64).nullable();
    t.text('user_agent').nullable();
    t.bigInteger('created_ts').notNullable();
    t.primary(['user_id', 'device_id']);
  });

  await knex.schema.createTable('refresh_tokens', (t) => {
    t.increments('id').primary();
    t.string('token_hash', 64).notNullable().unique();
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).notNullable();
    // The token this one was exchanged for; once that one is used in turn, this one is dead.
    t.integer('next_token_id').nullable();
    t.bigInteger('expiry_ts').nullable();
    t.bigInteger('created_ts').notNullable();
    t.index(['user_id', 'device_id']);
  });

  await knex.schema.createTable('access_tokens', (t) => {
    t.increments('id').primary();
    t.string('token_hash', 64).notNullable().unique();
    t.string('user_id', 255).notNullable();
    t.string('device_id', 255).nullable();
    // Null: never expires. Expiring tokens come from refreshable logins.
    t.bigInteger('valid_until_ts').nullable();
    t.integer('refresh_token_id').nullable();
    // Set once the token has been used, so a refresh can retire the previous generation.
    t.boolean('used').notNullable().defaultTo(false);
    t.bigInteger('created_ts').notNullable();
    t.index(['user_id', 'device_id']);
    t.index(['refresh_token_id']);
  });

  // Short-lived, single-use tokens for m.login.token (SSO completion, login via an existing session).
  await knex.schema.createTable('login_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('user_id', 255).notNullable();
    t.bigInteger('expiry_ts').notNullable();
    t.boolean('used').notNullable().defaultTo(false);
    t.string('auth_provider_id', 255).nullable();
    t.index(['expiry_ts']);
  });

  await knex.schema.createTable('profiles', (t) => {
    t.string('user_id', 255).primary();
    t.text('displayname').nullable();
    t.text('avatar_url').nullable();
    // Custom profile fields (v1.16) as a JSON object text; null when there are none.
    t.text('fields').nullable();
  });

  await knex.schema.createTable('registration_tokens', (t) => {
    t.string('token', 255).primary();
    // Null: unlimited.
    t.integer('uses_allowed').nullable();
    // UIA sessions that passed the token stage but have not finished registering.
    t.integer('pending').notNullable().defaultTo(0);
    t.integer('completed').notNullable().defaultTo(0);
    t.bigInteger('expiry_time').nullable();
  });

  await knex.schema.createTable('ui_auth_sessions', (t) => {
    t.string('session_id', 64).primary();
    t.bigInteger('created_ts').notNullable();
    // Which operation the session authorises (e.g. 'register', 'delete_devices'); a session cannot be reused
    // for another one.
    t.string('operation', 255).notNullable();
    // The request body parameters (minus auth) the client sent, so later requests may omit them.
    t.text('client_params').notNullable();
    // Server-side facts gathered during the session (e.g. the registration token used, the registered user).
    t.text('server_data').notNullable();
    t.index(['created_ts']);
  });

  await knex.schema.createTable('ui_auth_session_stages', (t) => {
    t.string('session_id', 64).notNullable();
    t.string('stage_type', 255).notNullable();
    // JSON: what the stage established (e.g. the user id a password proved).
    t.text('result').notNullable();
    t.primary(['session_id', 'stage_type']);
  });
}
