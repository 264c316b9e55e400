import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { command, roomWithBot, startHarness, type Harness } from './harness.js';

// The bridge as its own application service against a real hearth server: the bot joins on invite and answers
// commands; its public server is up.

describe('slack-webhooks bridge start', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });

  after(() => h?.close());

  it('joins a room it is invited to and answers "!slack help"', async () => {
    const alice = await h.user('alice');
    const roomId = await roomWithBot(h, alice);
    const help = await command(h, alice, roomId, '!slack help');
    assert.match(help, /^Commands:/);
    assert.match(help, /!slack help/);
    assert.match(await command(h, alice, roomId, '!slack frobnicate'), /Unknown command "frobnicate"/);
  });

  it('serves /health on its public port', async () => {
    const res = await fetch(`${h.publicUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'OK');
    assert.equal((await fetch(`${h.publicUrl}/nope`)).status, 404);
  });
});
