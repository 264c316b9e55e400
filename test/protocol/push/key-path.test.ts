import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeKeySegment, lookupPath, parseKeyPath } from '../../../src/protocol/push/key-path.js';

describe('parseKeyPath', () => {
  const cases: Array<[key: string, segments: string[]]> = [
    ['content.body', ['content', 'body']],
    ['type', ['type']],
    ['content.m\\.relates_to', ['content', 'm.relates_to']],
    ['content.m\\.mentions.user_ids', ['content', 'm.mentions', 'user_ids']],
    ['content.m\\\\foo', ['content', 'm\\foo']],
    // Other escapes are a literal backslash followed by the character.
    ['content.m\\xfoo', ['content', 'm\\xfoo']],
    ['content.trailing\\', ['content', 'trailing\\']],
    ['a\\\\.b', ['a\\', 'b']],
    ['a..b', ['a', '', 'b']],
    ['', ['']],
  ];
  for (const [key, segments] of cases) {
    test(`${JSON.stringify(key)} -> ${JSON.stringify(segments)}`, () => {
      assert.deepEqual(parseKeyPath(key), segments);
    });
  }

  test('escapeKeySegment round-trips names containing dots and backslashes', () => {
    for (const name of ['m.relates_to', 'm\\foo', 'a.\\.b', 'plain']) {
      assert.deepEqual(parseKeyPath(`content.${escapeKeySegment(name)}`), ['content', name]);
    }
  });
});

describe('lookupPath', () => {
  const event = {
    type: 'm.room.message',
    content: { body: 'hi', 'm.relates_to': { rel_type: 'm.replace' }, list: [{ a: 1 }], nil: null },
  };

  test('follows nested objects', () => {
    assert.equal(lookupPath(event, parseKeyPath('content.m\\.relates_to.rel_type')), 'm.replace');
  });

  test('an unescaped dot does not find a dotted property name', () => {
    assert.equal(lookupPath(event, parseKeyPath('content.m.relates_to.rel_type')), undefined);
  });

  test('returns null for a present null value and undefined for an absent one', () => {
    assert.equal(lookupPath(event, parseKeyPath('content.nil')), null);
    assert.equal(lookupPath(event, parseKeyPath('content.missing')), undefined);
  });

  test('does not index into arrays', () => {
    assert.equal(lookupPath(event, parseKeyPath('content.list.0.a')), undefined);
  });

  test('does not reach inherited properties', () => {
    assert.equal(lookupPath(event, parseKeyPath('content.constructor')), undefined);
    assert.equal(lookupPath(event, parseKeyPath('content.__proto__')), undefined);
  });
});
