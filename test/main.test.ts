import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseSigningKeyFile, verifyJsonSignature } from '../src/crypto/index.js';
import { createLogger } from '../src/http/logger.js';
import { startHomeserver } from '../src/main.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, testServerConfig } from './helpers/server.js';
import { describeStorage } from './helpers/storage.js';
import { registerUser, TEST_USER_CONFIG } from './helpers/users.js';

describe('startHomeserver', () => {
  test('serves the client and key APIs with a fresh key, and close() removes the test directory', async () => {
    const server = await startTestServer();
    try {
      assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      const versions = await fetch(`${server.baseUrl}/_matrix/client/versions`);
      assert.equal(versions.status, 200);
      assert.ok(Array.isArray(((await versions.json()) as { versions: unknown }).versions));

      const [key] = parseSigningKeyFile(readFileSync(server.config.signingKeyPath, 'utf8'));
      assert.ok(key);
      const doc = (await (await fetch(`${server.baseUrl}/_matrix/key/v2/server`)).json()) as Record<string, unknown>;
      assert.equal(doc.server_name, 'localhost');
      assert.ok(verifyJsonSignature(doc, 'localhost', key.keyId, key.publicKeyBase64));
    } finally {
      await server.close();
    }
    assert.equal(existsSync(server.dir), false);
  });

  test('overrides reach the running server', async () => {
    const server = await startTestServer({ serverName: 'override.test' });
    try {
      const doc = (await (await fetch(`${server.baseUrl}/_matrix/key/v2/server`)).json()) as { server_name: string };
      assert.equal(doc.server_name, 'override.test');
    } finally {
      await server.close();
    }
  });

  test('refuses a database that belongs to another server name', async () => {
    const first = await startTestServer({ serverName: 'first.test' });
    try {
      // Same database file (and a port-0 listener of its own), but another name.
      await assert.rejects(
        startHomeserver({ ...first.config, serverName: 'second.test' }, createLogger('silent')),
        /first\.test/,
      );
    } finally {
      await first.close();
    }
  });

  test('a port that is taken fails startup instead of running half-started', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const addr = blocker.address();
    assert.ok(addr && typeof addr === 'object');
    try {
      const base = await startTestServer();
      await base.close();
      await assert.rejects(
        startTestServer({ listeners: [{ ...base.config.listeners[0]!, port: addr.port }] }),
        /EADDRINUSE/,
      );
    } finally {
      blocker.close();
    }
  });
});

describeStorage('closing a homeserver under load', (ctx) => {
  test('close() lets the push, indexing and federation followers finish their batch before the database closes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-close-'));
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    try {
      const db = await ctx.createDatabase();
      const server = await startHomeserver(testServerConfig(dir, { ...TEST_USER_CONFIG, database: db.config }), logger);
      const addr = server.addresses[0];
      assert.ok(addr);
      const base = `http://${addr.host}:${addr.port}`;
      const alice = await registerUser(base, TEST_USER_CONFIG, 'alice');
      const headers = { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/json' };
      const room = (await (await fetch(`${base}/_matrix/client/v3/createRoom`, { method: 'POST', headers, body: '{}' })).json()) as { room_id: string };
      // A burst of sends, then close at once: their notices are still being evaluated, indexed and queued.
      const sends = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          fetch(`${base}/_matrix/client/v3/rooms/${encodeURIComponent(room.room_id)}/send/m.room.message/close-${i}`, {
            method: 'PUT',
            headers,
            body: JSON.stringify({ msgtype: 'm.text', body: `message ${i}` }),
          }),
        ),
      );
      assert.ok(sends.every((r) => r.status === 200));
      await server.close();
      const errors = lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
      assert.deepEqual(errors, [], 'nothing may fail because the database closed under it');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
