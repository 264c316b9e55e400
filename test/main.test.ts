import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseSigningKeyFile, verifyJsonSignature } from '../src/crypto/index.js';
import { createLogger } from '../src/http/logger.js';
import { startHomeserver } from '../src/main.js';
import { startTestServer } from './helpers/server.js';

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
