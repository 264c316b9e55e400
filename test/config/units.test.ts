import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseSize } from '../../src/config/units.js';

describe('Synapse durations', () => {
  const cases: Array<[string | number, number]> = [
    [5000, 5000],
    ['250', 250],
    ['250ms', 250],
    ['10s', 10_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
  ];
  for (const [input, ms] of cases) {
    test(`${JSON.stringify(input)} is ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }
  for (const bad of ['1 d', '1.5h', '-1s', '1fortnight', '', 'd', -5, 1.5]) {
    test(`${JSON.stringify(bad)} is rejected`, () => assert.throws(() => parseDuration(bad)));
  }
});

describe('Synapse sizes', () => {
  const cases: Array<[string | number, number]> = [
    [1024, 1024],
    ['100', 100],
    ['512K', 512 * 1024],
    ['50M', 50 * 1024 * 1024],
    ['2G', 2 * 1024 ** 3],
    ['1T', 1024 ** 4],
  ];
  for (const [input, bytes] of cases) {
    test(`${JSON.stringify(input)} is ${bytes} bytes`, () => assert.equal(parseSize(input), bytes));
  }
  for (const bad of ['50 M', '50m', '1.5M', 'M', '50MB', -1]) {
    test(`${JSON.stringify(bad)} is rejected`, () => assert.throws(() => parseSize(bad)));
  }
});
