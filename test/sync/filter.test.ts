import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { applyEventFields, createFilterValidator, eventMatches, filterExcludesAll, roomMatches, SYNC_FILTER_SCHEMA } from '../../src/sync/filter.js';
import { MatrixError } from '../../src/errors/index.js';

test('the filter schema is valid JSON Schema (the server compiles it without checking)', () => {
  const ajv = new Ajv2020({ strict: false });
  assert.equal(ajv.validateSchema(SYNC_FILTER_SCHEMA), true, ajv.errorsText());
});

test('valid filters pass and keep unknown keys', () => {
  const validate = createFilterValidator();
  const f = { room: { timeline: { limit: 5, lazy_load_members: true }, state: { types: ['m.room.*'] } }, future_key: 1 };
  assert.deepEqual(validate(f), f);
});

test('filters with wrongly typed known fields are M_BAD_JSON', () => {
  const validate = createFilterValidator();
  for (const bad of [{ room: { timeline: { limit: 'ten' } } }, { presence: { types: 'm.presence' } }, { event_format: 'xml' }, { room: { rooms: [1] } }, []]) {
    assert.throws(() => validate(bad), (e: unknown) => e instanceof MatrixError && e.errcode === 'M_BAD_JSON' && e.status === 400);
  }
});

test('event filters match types with wildcards, senders and contains_url', () => {
  const ev = { type: 'm.room.message', sender: '@a:x', content: { body: 'hi' } };
  assert.ok(eventMatches(undefined, ev));
  assert.ok(eventMatches({ types: ['m.room.*'] }, ev));
  assert.ok(!eventMatches({ types: ['m.room.member'] }, ev));
  assert.ok(!eventMatches({ not_types: ['*'] }, ev));
  assert.ok(!eventMatches({ types: ['m.*'], not_types: ['m.room.message'] }, ev));
  assert.ok(eventMatches({ senders: ['@a:x'] }, ev));
  assert.ok(!eventMatches({ not_senders: ['@a:x'] }, ev));
  assert.ok(!eventMatches({ contains_url: true }, ev));
  assert.ok(eventMatches({ contains_url: true }, { ...ev, content: { url: 'mxc://x/y' } }));
});

test('room filters and exclude-all detection', () => {
  assert.ok(roomMatches({ rooms: ['!a:x'] }, '!a:x'));
  assert.ok(!roomMatches({ rooms: ['!a:x'], not_rooms: ['!a:x'] }, '!a:x'));
  assert.ok(filterExcludesAll({ types: [] }));
  assert.ok(filterExcludesAll({ not_types: ['*'] }));
  assert.ok(filterExcludesAll({ limit: 0 }));
  assert.ok(!filterExcludesAll({ types: ['m.presence'] }));
});

test('event_fields keeps only the listed dotted paths, with escaped dots', () => {
  const ev = { type: 't', sender: 's', content: { body: 'b', 'm.relates_to': { rel_type: 'r' }, other: 1 } };
  assert.deepEqual(applyEventFields(ev, ['type', 'content.body', 'content.m\\.relates_to.rel_type']), {
    type: 't',
    content: { body: 'b', 'm.relates_to': { rel_type: 'r' } },
  });
});
