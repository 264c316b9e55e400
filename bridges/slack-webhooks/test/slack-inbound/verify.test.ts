import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SIGNATURE_MAX_AGE_SECONDS, slackSignature, tokenMatches, verifySlackSignature } from '../../src/slack-inbound/verify.js';

// Slack's documented example (api.slack.com "Verifying requests from Slack").
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const TS = '1531420618';
const EXPECTED = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

test('the signature of Slack documentation example is reproduced', () => {
  assert.equal(slackSignature(SECRET, TS, BODY), EXPECTED);
});

test('a correctly signed fresh request is accepted', () => {
  assert.deepEqual(verifySlackSignature({ signingSecret: SECRET, timestamp: TS, signature: EXPECTED, rawBody: BODY, nowSeconds: Number(TS) + 10 }), { ok: true });
});

test('a changed body, a wrong secret or a malformed signature is refused', () => {
  const base = { signingSecret: SECRET, timestamp: TS, signature: EXPECTED, rawBody: BODY, nowSeconds: Number(TS) };
  assert.equal(verifySlackSignature({ ...base, rawBody: BODY + 'x' }).ok, false);
  assert.equal(verifySlackSignature({ ...base, signingSecret: 'other' }).ok, false);
  assert.equal(verifySlackSignature({ ...base, signature: 'v0=abc' }).ok, false);
  assert.equal(verifySlackSignature({ ...base, signature: undefined }).ok, false);
});

test('timestamps more than five minutes away are refused even with a valid signature', () => {
  const ts = String(1_700_000_000);
  const sig = slackSignature(SECRET, ts, '{}');
  const at = (now: number) => verifySlackSignature({ signingSecret: SECRET, timestamp: ts, signature: sig, rawBody: '{}', nowSeconds: now });
  assert.equal(at(1_700_000_000 + SIGNATURE_MAX_AGE_SECONDS).ok, true);
  const stale = at(1_700_000_000 + SIGNATURE_MAX_AGE_SECONDS + 1);
  assert.equal(stale.ok, false);
  assert.match(stale.ok ? '' : stale.reason, /timestamp/);
  assert.equal(at(1_700_000_000 - SIGNATURE_MAX_AGE_SECONDS - 1).ok, false, 'from the future too');
  assert.equal(verifySlackSignature({ signingSecret: SECRET, timestamp: 'abc', signature: sig, rawBody: '{}', nowSeconds: 0 }).ok, false);
  assert.equal(verifySlackSignature({ signingSecret: SECRET, timestamp: undefined, signature: sig, rawBody: '{}', nowSeconds: 0 }).ok, false);
});

test('the signature covers raw bytes, so a Buffer body verifies like its string', () => {
  const body = Buffer.from('{"type":"event_callback","text":"héllo"}');
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${TS}:`).update(body).digest('hex')}`;
  assert.equal(verifySlackSignature({ signingSecret: SECRET, timestamp: TS, signature: sig, rawBody: body, nowSeconds: Number(TS) }).ok, true);
});

test('outgoing-webhook tokens must match exactly', () => {
  assert.equal(tokenMatches('abc123', 'abc123'), true);
  assert.equal(tokenMatches('abc123', 'abc124'), false);
  assert.equal(tokenMatches('abc123', 'abc1234'), false);
  assert.equal(tokenMatches('abc123', ''), false);
  assert.equal(tokenMatches('abc123', undefined), false);
  assert.equal(tokenMatches('abc123', ['abc123']), false);
});
