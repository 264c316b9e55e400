import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentEventGroups } from '../../../src/storage/knex/recent-event-groups.js';

test('keeps the groups of the newest events, dropping the oldest past its bound', () => {
  const groups = new RecentEventGroups(2);
  groups.set('$a', { before: 1, after: 2 });
  groups.set('$b', { before: 2, after: 2 });
  groups.set('$a', { before: 1, after: 3 }); // rewritten (a partial-state room completed): newest again
  groups.set('$c', { before: 3, after: 4 });
  assert.equal(groups.get('$b'), undefined);
  assert.deepEqual(groups.get('$a'), { before: 1, after: 3 });
  assert.deepEqual(groups.get('$c'), { before: 3, after: 4 });
});

test('forgets every event naming a deleted group, before or after', () => {
  const groups = new RecentEventGroups();
  groups.set('$a', { before: 1, after: 2 });
  groups.set('$b', { before: 2, after: 3 });
  groups.set('$c', { before: 3, after: 3 });
  groups.forgetGroups(new Set([2]));
  assert.equal(groups.get('$a'), undefined);
  assert.equal(groups.get('$b'), undefined);
  assert.deepEqual(groups.get('$c'), { before: 3, after: 3 });
});
