import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MinHeap } from '../../../src/protocol/state-res/heap.js';
import { lexicographicTopologicalSort } from '../../../src/protocol/state-res/topological-sort.js';
import { prng, shuffle } from './fixtures.js';

describe('MinHeap', () => {
  test('pops in ascending order whatever the push order', () => {
    const rnd = prng(42);
    const values = Array.from({ length: 500 }, (_, i) => i);
    const heap = new MinHeap<number>((a, b) => a < b);
    for (const x of shuffle(values, rnd)) heap.push(x);
    const out: number[] = [];
    for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x);
    assert.deepEqual(out, values);
    assert.equal(heap.size, 0);
  });
});

describe('lexicographicTopologicalSort', () => {
  const less = (a: string, b: string) => a < b;

  test('emits dependencies first and the smallest ready node at each step', () => {
    const deps: Record<string, string[]> = { l: ['o'], m: ['n', 'o'], n: ['o'], o: [], p: ['o'] };
    const out = lexicographicTopologicalSort(Object.keys(deps), (n) => deps[n] ?? [], less);
    assert.deepEqual(out, ['o', 'l', 'n', 'm', 'p']);
  });

  test('ignores dependencies outside the node set', () => {
    const deps: Record<string, string[]> = { b: ['a', 'outside'], a: ['outside'] };
    assert.deepEqual(lexicographicTopologicalSort(['b', 'a'], (n) => deps[n] ?? [], less), ['a', 'b']);
  });

  test('a tie-breaker that prefers later names is honoured when the graph allows it', () => {
    const out = lexicographicTopologicalSort(['a', 'b', 'c'], () => [], (x, y) => x > y);
    assert.deepEqual(out, ['c', 'b', 'a']);
  });

  test('a cycle does not lose nodes', () => {
    const deps: Record<string, string[]> = { a: ['b'], b: ['a'], c: [] };
    assert.deepEqual(lexicographicTopologicalSort(['a', 'b', 'c'], (n) => deps[n] ?? [], less), ['c', 'a', 'b']);
  });
});
