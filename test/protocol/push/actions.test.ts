import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsHighlight, actionsNotify, actionsSound, actionsTweaks, stripHistoricalActions } from '../../../src/protocol/push/actions.js';
import type { PushAction } from '../../../src/protocol/push/types.js';

describe('push actions', () => {
  test('notify is detected only as the bare string action', () => {
    assert.equal(actionsNotify(['notify']), true);
    assert.equal(actionsNotify([{ set_tweak: 'sound', value: 'default' }]), false);
    assert.equal(actionsNotify([]), false);
  });

  test('a highlight tweak without a value means true', () => {
    assert.equal(actionsHighlight(['notify', { set_tweak: 'highlight' }]), true);
  });

  test('highlight is false when absent or set to false', () => {
    assert.equal(actionsHighlight(['notify']), false);
    assert.equal(actionsHighlight(['notify', { set_tweak: 'highlight', value: false }]), false);
  });

  test('the last highlight tweak wins', () => {
    assert.equal(actionsHighlight([{ set_tweak: 'highlight' }, { set_tweak: 'highlight', value: false }]), false);
    assert.equal(actionsHighlight([{ set_tweak: 'highlight', value: false }, { set_tweak: 'highlight', value: true }]), true);
  });

  test('tweaks collect every set_tweak, unknown ones passed through', () => {
    const actions: PushAction[] = ['notify', { set_tweak: 'sound', value: 'ring' }, { set_tweak: 'highlight' }, { set_tweak: 'org.example.led', value: { colour: 'red' } }];
    assert.deepEqual(actionsTweaks(actions), { sound: 'ring', highlight: true, 'org.example.led': { colour: 'red' } });
    assert.equal(actionsSound(actions), 'ring');
    assert.equal(actionsSound(['notify']), undefined);
  });

  test('a tweak named __proto__ is stored as data', () => {
    const tweaks = actionsTweaks([{ set_tweak: '__proto__', value: 'x' }]);
    assert.equal(Object.getPrototypeOf(tweaks), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(tweaks, '__proto__')?.value, 'x');
  });

  test('historical dont_notify and coalesce are stripped', () => {
    assert.deepEqual(stripHistoricalActions(['dont_notify']), []);
    assert.deepEqual(stripHistoricalActions(['notify', 'coalesce', { set_tweak: 'sound', value: 'default' }]), ['notify', { set_tweak: 'sound', value: 'default' }]);
  });
});
