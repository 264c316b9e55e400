import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Knex } from 'knex';
import type { WeakEvent } from 'matrix-appservice-bridge';
import pg from 'pg';
import { pino } from 'pino';
import { openStore, type DatabaseConfig } from '../../_shared/src/index.js';
import { KnexLinkStore } from '../src/store/links.js';
import { migrations } from '../src/store/migrations.js';
import { KnexOutbox } from '../src/store/outbox.js';
import type { Link } from '../src/types.js';

// The bridge's store on both engines: SQLite always, PostgreSQL when HS_TEST_POSTGRES names an admin URL
// (a database is created for the suite and dropped after).

const logger = pino({ level: 'silent' });

interface Engine {
  name: string;
  setup(): Promise<{ database: DatabaseConfig; cleanup(): Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'sqlite',
    async setup() {
      const dir = await mkdtemp(join(tmpdir(), 'slack-store-'));
      return { database: { engine: 'sqlite', filename: join(dir, 'nested', 'bridge.db') }, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
];
const pgUrl = process.env.HS_TEST_POSTGRES;
if (pgUrl) {
  engines.push({
    name: 'postgres',
    async setup() {
      const name = `slack_test_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(pgUrl);
      url.pathname = `/${name}`;
      return {
        database: { engine: 'postgres', connection_string: url.toString() },
        async cleanup() {
          const c = new pg.Client({ connectionString: pgUrl });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    },
  });
}

const link = (roomId: string, extra: Partial<Link> = {}): Link => ({
  roomId,
  webhookUrl: 'https://hooks.slack.com/services/T/B/X',
  outgoingToken: null,
  teamId: null,
  channelId: null,
  inboundWebhookId: null,
  source: 'command',
  createdBy: '@a:hs',
  createdAt: 1_700_000_000_000,
  ...extra,
});

const ev = (id: string, roomId: string): WeakEvent => ({ event_id: id, room_id: roomId, type: 'm.room.message', sender: '@a:hs', content: { msgtype: 'm.text', body: id }, origin_server_ts: 1 }) as WeakEvent;

for (const engine of engines) {
  describe(`slack-webhooks store on ${engine.name}`, () => {
    let knex: Knex;
    let cleanup: () => Promise<void>;
    let database: DatabaseConfig;

    before(async () => {
      ({ database, cleanup } = await engine.setup());
      knex = await openStore({ database, bridge: 'slack_webhooks', migrations, logger });
    });

    after(async () => {
      await knex?.destroy();
      await cleanup?.();
    });

    it('reopening applies no migration twice', async () => {
      const again = await openStore({ database, bridge: 'slack_webhooks', migrations, logger });
      const rows: unknown[] = await again('slack_webhooks_migrations').select('name');
      assert.equal(rows.length, migrations.length);
      await again.destroy();
    });

    it('links: put replaces the row, every lookup finds it, delete removes it', async () => {
      const links = new KnexLinkStore(knex);
      await links.put(link('!a:hs'));
      await links.put(link('!a:hs', { outgoingToken: 'tok', teamId: 'T1', channelId: 'C1', inboundWebhookId: 'wh1' }));
      await links.put(link('!b:hs', { source: 'config', createdBy: null }));
      const a = await links.getByRoom('!a:hs');
      assert.deepEqual(a, link('!a:hs', { outgoingToken: 'tok', teamId: 'T1', channelId: 'C1', inboundWebhookId: 'wh1' }));
      assert.equal((await links.getByChannel('T1', 'C1'))?.roomId, '!a:hs');
      assert.equal((await links.getByWebhookId('wh1'))?.roomId, '!a:hs');
      assert.equal((await links.getByOutgoingToken('tok'))?.roomId, '!a:hs');
      assert.equal(await links.getByChannel('T1', 'C2'), null);
      assert.deepEqual((await links.list()).map((l) => [l.roomId, l.source]), [['!a:hs', 'command'], ['!b:hs', 'config']]);
      await assert.rejects(links.put(link('!c:hs', { inboundWebhookId: 'wh1' })), 'an inbound webhook id belongs to one room');
      assert.equal(await links.delete('!a:hs'), true);
      assert.equal(await links.delete('!a:hs'), false);
      assert.equal(await links.getByWebhookId('wh1'), null);
    });

    it('outbox: ignores a repeated event, keeps room order, records retries', async () => {
      const outbox = new KnexOutbox(knex);
      await outbox.add([ev('$1', '!r:hs'), ev('$2', '!r:hs'), ev('$3', '!s:hs')]);
      await outbox.add([ev('$1', '!r:hs')]);
      assert.deepEqual((await outbox.rooms()).sort(), ['!r:hs', '!s:hs']);
      assert.equal(await outbox.pendingCount('!r:hs'), 2);
      const first = await outbox.next('!r:hs');
      assert.equal(first?.event.event_id, '$1');
      assert.deepEqual(first?.event.content, { msgtype: 'm.text', body: '$1' });
      await outbox.retryLater(first?.id ?? 0, 1, 1_800_000_000_000);
      const again = await outbox.next('!r:hs');
      assert.equal(again?.attempts, 1);
      assert.equal(again?.nextAttemptAt, 1_800_000_000_000);
      await outbox.remove(first?.id ?? 0);
      assert.equal((await outbox.next('!r:hs'))?.event.event_id, '$2');
    });
  });
}
