import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSigningKeyFile, parseSigningKeyFile } from '../../src/crypto/index.js';
import { ConfigError } from '../../src/config/errors.js';
import { ensureSigningKeyFile, loadOrCreateSigningKeys } from '../../src/config/signing-keys.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-keys-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('signing key file', () => {
  test('is created in Synapse format, owner-only, in a directory made for it', () => {
    const path = join(dir, 'nested', 'a.test.signing.key');
    const { keys, created } = loadOrCreateSigningKeys(path);
    assert.equal(created, true);
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^ed25519 a_[A-Za-z0-9]{4} [A-Za-z0-9+/]{43}\n$/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.keyId, `ed25519:${text.split(' ')[1]}`);
  });

  test('is never rewritten once it exists', () => {
    const path = join(dir, 'stable.key');
    const first = loadOrCreateSigningKeys(path);
    const text = readFileSync(path, 'utf8');
    const second = loadOrCreateSigningKeys(path);
    assert.equal(second.created, false);
    assert.equal(ensureSigningKeyFile(path).created, false);
    assert.equal(readFileSync(path, 'utf8'), text);
    assert.equal(second.keys[0]?.publicKeyBase64, first.keys[0]?.publicKeyBase64);
  });

  test('a key file written by Synapse round-trips and yields its known public key', () => {
    // RFC 8032 test 1: seed 9d61b1...7f60 has public key d75a98...511a.
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const synapseText = `ed25519 a_abcd ${seed.toString('base64').replace(/=+$/, '')}\n`;
    const path = join(dir, 'synapse.key');
    writeFileSync(path, synapseText);
    const { keys, created } = loadOrCreateSigningKeys(path);
    assert.equal(created, false);
    assert.equal(keys[0]?.keyId, 'ed25519:a_abcd');
    assert.equal(keys[0]?.publicKey.toString('hex'), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    assert.equal(formatSigningKeyFile(parseSigningKeyFile(synapseText)), synapseText);
  });

  test('a corrupt key file is a config error naming signing_key_path', () => {
    const path = join(dir, 'corrupt.key');
    writeFileSync(path, 'ed25519 a_x not-base64!\n');
    assert.throws(
      () => loadOrCreateSigningKeys(path),
      (e: Error) => e instanceof ConfigError && e.message.startsWith('config error: signing_key_path:') && e.message.includes(path),
    );
  });
});
