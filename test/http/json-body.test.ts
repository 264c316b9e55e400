import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseJsonBytes, readRawBody } from '../../src/http/json-body.js';
import { isMatrixError } from '../../src/errors/index.js';

function errcode(code: string, status?: number) {
  return (err: unknown) => isMatrixError(err) && err.errcode === code && (status === undefined || err.status === status);
}

test('a body within the cap is read whole', async () => {
  const body = await readRawBody(Readable.from([Buffer.from('{"a"'), Buffer.from(':1}')]), 7, 7);
  assert.equal(body.toString(), '{"a":1}');
});

test('an announced length above the cap is refused before reading anything', async () => {
  let pulled = false;
  const stream = new Readable({
    read() {
      pulled = true;
      this.push(null);
    },
  });
  await assert.rejects(readRawBody(stream, 2048, 1024), errcode('M_TOO_LARGE', 413));
  assert.equal(pulled, false);
});

test('a streamed body without a length is cut off once it passes the cap', async () => {
  let produced = 0;
  const stream = new Readable({
    read() {
      produced += 100;
      this.push(Buffer.alloc(100, 0x20));
      if (produced >= 10_000) this.push(null);
    },
  });
  await assert.rejects(readRawBody(stream, undefined, 250), errcode('M_TOO_LARGE', 413));
});

test('a body that ends early (client went away) is not treated as a server fault', async () => {
  const stream = new Readable({ read() {} });
  const pending = readRawBody(stream, undefined, 1024);
  stream.push(Buffer.from('{"a":'));
  stream.destroy(new Error('socket hang up'));
  await assert.rejects(pending, errcode('M_UNKNOWN', 400));
});

test('JSON parsing: bad syntax and bad UTF-8 are M_NOT_JSON', () => {
  assert.deepEqual(parseJsonBytes(Buffer.from('{"k":"v\u00e9"}')), { k: 'vé' });
  assert.throws(() => parseJsonBytes(Buffer.from('{k:1}')), errcode('M_NOT_JSON', 400));
  assert.throws(() => parseJsonBytes(Buffer.from('NaN')), errcode('M_NOT_JSON'));
  assert.throws(() => parseJsonBytes(Buffer.from([0x22, 0xc3, 0x28, 0x22])), errcode('M_NOT_JSON'));
});
