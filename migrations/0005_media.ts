import type { Knex } from 'knex';

// Media repository metadata (src/media). The bytes live in the storage backend (filesystem under
// media_store_path); these tables say what exists, who uploaded it and how it may be served.
export async function up(knex: Knex): Promise<void> {
  // Media uploaded to this server. A row with a null uploaded_ts is a pending upload made by
  // POST /_matrix/media/v1/create, claimable by its creator until unused_expires_ts.
  await knex.schema.createTable('local_media', (t) => {
    t.string('media_id', 255).primary();
    t.string('media_type', 255).nullable();
    t.bigInteger('media_length').nullable();
    t.text('upload_name').nullable();
    t.string('user_id', 255).nullable();
    t.bigInteger('created_ts').notNullable();
    t.bigInteger('uploaded_ts').nullable();
    t.bigInteger('unused_expires_ts').nullable();
    t.bigInteger('last_access_ts').nullable();
    // Hex SHA-256 of the content: lets admins find every copy of a file (quarantine by hash).
    t.string('sha256', 64).nullable();
    // Set by an admin; quarantined media is never served.
    t.string('quarantined_by', 255).nullable();
    t.boolean('safe_from_quarantine').notNullable().defaultTo(false);
    // Uploaded while authenticated media was enforced: not served on the legacy unauthenticated endpoints.
    t.boolean('authenticated').notNullable().defaultTo(false);
    // Media stored for a URL preview rather than uploaded by a user.
    t.text('url_cache').nullable();
    t.index(['user_id', 'created_ts']);
    t.index(['sha256']);
    t.index(['last_access_ts']);
  });

  // Thumbnails on disk for local media, one row per generated file.
  await knex.schema.createTable('local_media_thumbnails', (t) => {
    t.string('media_id', 255).notNullable();
    t.integer('width').notNullable();
    t.integer('height').notNullable();
    t.string('method', 16).notNullable();
    t.string('type', 64).notNullable();
    t.boolean('animated').notNullable().defaultTo(false);
    t.bigInteger('length').notNullable();
    t.primary(['media_id', 'width', 'height', 'method', 'type', 'animated']);
  });

  // Media of other servers cached here (filled by the federation media client).
  await knex.schema.createTable('remote_media_cache', (t) => {
    t.string('media_origin', 255).notNullable();
    t.string('media_id', 255).notNullable();
    // Our local name for the cached file (file paths never embed a remote-chosen id).
    t.string('filesystem_id', 255).notNullable();
    t.string('media_type', 255).nullable();
    t.bigInteger('media_length').nullable();
    t.text('upload_name').nullable();
    t.bigInteger('created_ts').notNullable();
    t.bigInteger('last_access_ts').nullable();
    t.string('sha256', 64).nullable();
    t.string('quarantined_by', 255).nullable();
    t.boolean('authenticated').notNullable().defaultTo(false);
    t.primary(['media_origin', 'media_id']);
  });

  await knex.schema.createTable('remote_media_thumbnails', (t) => {
    t.string('media_origin', 255).notNullable();
    t.string('media_id', 255).notNullable();
    t.integer('width').notNullable();
    t.integer('height').notNullable();
    t.string('method', 16).notNullable();
    t.string('type', 64).notNullable();
    t.boolean('animated').notNullable().defaultTo(false);
    t.bigInteger('length').notNullable();
    t.primary(['media_origin', 'media_id', 'width', 'height', 'method', 'type', 'animated']);
  });

  // URL preview results, so a link posted in a busy room is fetched once per expiry window.
  await knex.schema.createTable('url_previews', (t) => {
    t.increments('id').primary();
    t.text('url').notNullable();
    // Looked up by URL; a hash keeps the index small for long URLs on both engines.
    t.string('url_hash', 64).notNullable();
    t.bigInteger('fetched_ts').notNullable();
    t.bigInteger('expires_ts').notNullable();
    t.integer('response_code').notNullable();
    // The OpenGraph object returned to clients, as JSON text.
    t.text('og').notNullable();
    t.index(['url_hash', 'fetched_ts']);
    t.index(['expires_ts']);
  });
}
