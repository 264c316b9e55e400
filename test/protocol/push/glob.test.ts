import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, matchGlob, prepareText, PushMatcherCache, type GlobMode } from '../../../src/protocol/push/glob.js';

function matches(pattern: string, value: string, mode: GlobMode): boolean {
  return matchGlob(compileGlob(pattern), prepareText(value), mode);
}

describe('glob matching of whole values', () => {
  const cases: Array<[pattern: string, value: string, expected: boolean]> = [
    // The spec's content.topic example.
    ['lunc?*', 'Lunch plans', true],
    ['lunc?*', 'LUNCH', true],
    ['lunc?*', ' lunch', false],
    ['lunc?*', 'lunc', false],
    ['m.room.message', 'm.room.message', true],
    ['m.room.message', 'm.room.messages', false],
    ['m.room.message', 'xm.room.message', false],
    ['m.room.*', 'm.room.member', true],
    ['m.room.*', 'm.roo', false],
    ['', '', true],
    ['', 'x', false],
    ['*', '', true],
    ['*', 'anything at all', true],
    ['?', '', false],
    ['?', 'a', true],
    ['?', '😀', true],
    ['??', '😀', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['a.c', 'abc', false],
    ['(x)[y]', '(X)[Y]', true],
    ['line*end', 'line\nmiddle\nend', true],
    ['ÉCOLE', 'école', true],
    ['@alice:example.org', '@Alice:Example.org', true],
  ];
  for (const [pattern, value, expected] of cases) {
    test(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(value)}`, () => {
      assert.equal(matches(pattern, value, 'whole'), expected);
    });
  }
});

describe('glob matching at word boundaries', () => {
  const cases: Array<[pattern: string, value: string, expected: boolean]> = [
    // The spec's content.body examples.
    ['ex*ple', 'An example event.', true],
    ['ex*ple', 'exple', true],
    ['ex*ple', 'An exciting triple-whammy', true],
    ['ex*ple', 'An examples event', false],
    ['cake', 'I like cake', true],
    ['cake', 'I like CAKE!', true],
    ['cake', 'cupcake', false],
    ['cake', 'cakes', false],
    ['cake', 'cake_shop', false],
    ['cake', 'cake2', false],
    ['cake', 'cake-shop', true],
    ['cake', '', false],
    ['cake*lie', 'the cake is a lie', true],
    ['cake*lie', 'the cake is a lies', false],
    ['c?ke', 'coke and cake', true],
    ['@room', 'hey @room look', true],
    ['@room', 'x@room', true],
    ['@room', '@roomy', false],
    ['*', 'anything', true],
    ['alice', 'hi Alice, how are you', true],
    ['alice', 'hi malice', false],
  ];
  for (const [pattern, value, expected] of cases) {
    test(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(value)}`, () => {
      assert.equal(matches(pattern, value, 'word'), expected);
    });
  }

  test('treats * and ? literally when compiled as a literal', () => {
    const star = compileGlob('a*', true);
    assert.equal(matchGlob(star, prepareText('say a* now'), 'word'), true);
    assert.equal(matchGlob(star, prepareText('say abc now'), 'word'), false);
  });
});

describe('glob matching cost', () => {
  test('a pattern built to make backtracking explode finishes quickly on a long body', () => {
    const body = 'a'.repeat(20_000);
    const started = process.hrtime.bigint();
    assert.equal(matches('*a*a*a*a*a*a*a*a*b', body, 'word'), false);
    assert.equal(matches('*a*a*a*a*a*a*a*a*b', body, 'whole'), false);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});

describe('PushMatcherCache', () => {
  test('returns the same compiled glob for the same pattern', () => {
    const cache = new PushMatcherCache();
    assert.equal(cache.glob('m.room.*'), cache.glob('m.room.*'));
    assert.equal(cache.compiledCount, 1);
  });

  test('keeps globs and literals with the same text apart', () => {
    const cache = new PushMatcherCache();
    assert.notEqual(cache.glob('a*'), cache.literal('a*'));
    assert.equal(cache.literal('a*').hasWildcard, false);
  });

  test('evicts the least recently used pattern beyond its bound', () => {
    const cache = new PushMatcherCache(3);
    const a = cache.glob('a');
    cache.glob('b');
    cache.glob('c');
    cache.glob('a'); // refresh: b is now the oldest
    cache.glob('d');
    assert.equal(cache.compiledCount, 3);
    assert.equal(cache.glob('a'), a);
    const before = cache.compiledCount;
    cache.glob('b'); // was evicted, so it is compiled again and pushes out another entry
    assert.equal(cache.compiledCount, before);
  });

  test('prepares a value once per event object', () => {
    const cache = new PushMatcherCache();
    const event = {};
    assert.equal(cache.text(event, 'hello'), cache.text(event, 'hello'));
    assert.notEqual(cache.text(event, 'hello'), cache.text({}, 'hello'));
  });
});
