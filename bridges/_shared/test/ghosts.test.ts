import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { escapeLocalpart, ghostLocalpart, ghostUserId, isLocalpartValid, unescapeLocalpart } from '../src/ghosts.js';

describe('ghost naming', () => {
  it('escapes upper case, underscores and other characters into the user-id grammar, reversibly', () => {
    for (const s of ['T0123', 'snake_case', 'Zoë Ünicode', 'a:b@c', '日本', 'ok.name-1/2', '=x=']) {
      const e = escapeLocalpart(s);
      assert.ok(isLocalpartValid(e), `${s} -> ${e}`);
      assert.equal(unescapeLocalpart(e), s);
    }
    assert.equal(escapeLocalpart('T01_a'), '_t01__a');
    assert.equal(escapeLocalpart('a b'), 'a=20b');
  });

  it('joins parts with a separator that an escaped part cannot contain on its own', () => {
    assert.equal(ghostLocalpart('slack_', 't01', 'u02'), 'slack_t01_u02');
    assert.notEqual(ghostLocalpart('slack_', 'a_b', 'c'), ghostLocalpart('slack_', 'a', 'b_c'));
    assert.equal(ghostUserId('slack_', 'example.org', 't1', 'u1'), '@slack_t1_u1:example.org');
  });

  it('refuses a prefix outside the grammar', () => {
    assert.throws(() => ghostLocalpart('Slack ', 'x'), /not valid/);
  });
});
