import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { guardedLookup, isPrivateAddress } from '../src/slack/address-guard.js';
import { parseRetryAfter, validateWebhookUrl } from '../src/slack/post.js';

describe('outbound webhook targets', () => {
  it('classifies private, loopback, link-local and mapped addresses as private', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      assert.ok(isPrivateAddress(a), a);
    }
    for (const a of ['52.1.2.3', '8.8.8.8', '2600:1f18::1', '::ffff:8.8.8.8']) assert.ok(!isPrivateAddress(a), a);
  });

  it('refuses private literals, localhost, http and credentials unless private targets are allowed', () => {
    for (const u of ['https://127.0.0.1/hook', 'https://[::1]/hook', 'https://10.0.0.8/x', 'https://localhost/x', 'http://hooks.slack.com/x', 'https://u:p@hooks.slack.com/x', 'nope']) {
      assert.throws(() => validateWebhookUrl(u, false), u);
    }
    assert.equal(validateWebhookUrl('https://hooks.slack.com/services/T/B/X', false).host, 'hooks.slack.com');
    assert.equal(validateWebhookUrl('http://127.0.0.1:9/x', true).port, '9');
  });

  it('the lookup hook refuses a name that resolves to a private address, in both lookup forms', async () => {
    for (const options of [{}, { all: true }]) {
      await new Promise<void>((resolve) => {
        guardedLookup('localhost', options, (err) => {
          assert.equal(err?.name, 'PrivateAddressError');
          resolve();
        });
      });
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(undefined), null);
    assert.equal(parseRetryAfter('soon'), null);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  });
});
