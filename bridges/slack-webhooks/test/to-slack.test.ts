import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { WeakEvent } from 'matrix-appservice-bridge';
import { createMediaLinks } from '../src/matrix/media-links.js';
import { renderForSlack, type RenderDeps } from '../src/matrix/to-slack.js';

const media = createMediaLinks('https://bridge.example', 'secret');
const deps: RenderDeps = {
  media,
  profile: async (_room, user) => (user === '@a:hs' ? { displayname: 'Ann <admin>', avatarUrl: 'mxc://hs/avatar1' } : {}),
  event: async (_room, id) => (id === '$orig' ? { sender: '@a:hs', content: { msgtype: 'm.text', body: 'x'.repeat(250) } } : null),
};
const ev = (content: Record<string, unknown>, extra: Partial<WeakEvent> = {}) =>
  ({ event_id: '$e', room_id: '!r:hs', type: 'm.room.message', sender: '@a:hs', origin_server_ts: 1, content, ...extra }) as WeakEvent;

describe('rendering a Matrix event for Slack', () => {
  it('uses the display name and avatar, and falls back to the user id', async () => {
    const p = await renderForSlack(ev({ msgtype: 'm.text', body: 'hi' }), deps);
    assert.equal(p?.username, 'Ann <admin>');
    assert.match(String(p?.icon_url), /^https:\/\/bridge\.example\/media\/hs\/avatar1\?sig=/);
    const q = await renderForSlack(ev({ msgtype: 'm.text', body: 'hi' }, { sender: '@b:hs' }), deps);
    assert.equal(q?.username, '@b:hs');
    assert.equal(q?.icon_url, undefined);
  });

  it('files with a caption, stickers, locations; a missing URL is said, not linked', async () => {
    const f = await renderForSlack(ev({ msgtype: 'm.file', body: 'see the report', filename: 'q3|report.pdf', url: 'mxc://hs/file1' }), deps);
    assert.match(String(f?.text), /^<https:\/\/bridge\.example\/media\/hs\/file1\/q3%7Creport\.pdf\?sig=[\w-]+\|q3¦report\.pdf>\nsee the report$/);
    const s = await renderForSlack(ev({ body: 'a sticker', url: 'mxc://hs/st1', info: {} }, { type: 'm.sticker' }), deps);
    assert.match(String(s?.text), /^<https:\/\/bridge\.example\/media\/hs\/st1\/a%20sticker\?sig=/);
    const l = await renderForSlack(ev({ msgtype: 'm.location', body: 'Office', geo_uri: 'geo:51.5,-0.1' }), deps);
    assert.equal(l?.text, 'Office (geo:51.5,-0.1)');
    assert.equal((await renderForSlack(ev({ msgtype: 'm.image', body: 'x.png' }), deps))?.text, 'x.png (not available)');
  });

  it('truncates long reply quotes, skips a thread fallback and an unreadable original', async () => {
    const r = await renderForSlack(ev({ msgtype: 'm.text', body: 'ok', 'm.relates_to': { 'm.in_reply_to': { event_id: '$orig' } } }), deps);
    assert.equal(r?.text, `> *Ann &lt;admin&gt;*: ${'x'.repeat(200)}…\nok`);
    const t = await renderForSlack(ev({ msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root', is_falling_back: true, 'm.in_reply_to': { event_id: '$orig' } } }), deps);
    assert.equal(t?.text, 'in thread');
    const gone = await renderForSlack(ev({ msgtype: 'm.text', body: 'ok', 'm.relates_to': { 'm.in_reply_to': { event_id: '$gone' } } }), deps);
    assert.equal(gone?.text, 'ok');
  });

  it('cuts a text longer than Slack takes, visibly', async () => {
    const p = await renderForSlack(ev({ msgtype: 'm.text', body: 'y'.repeat(50_000) }), deps);
    assert.ok(String(p?.text).length < 40_000);
    assert.match(String(p?.text), /… \(cut: the message is longer than Slack allows\)$/);
  });

  it('bridges nothing for an edit without new content or an empty message', async () => {
    assert.equal(await renderForSlack(ev({ msgtype: 'm.text', body: '* x', 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } }), deps), null);
    assert.equal(await renderForSlack(ev({}), deps), null);
  });

  it('signed media links verify only for their own media id', () => {
    const url = new URL(String(media.url('mxc://hs/abc')));
    const sig = url.searchParams.get('sig') ?? '';
    assert.ok(media.verify('hs', 'abc', sig));
    assert.ok(!media.verify('hs', 'abd', sig));
    assert.ok(!createMediaLinks('https://bridge.example', 'other').verify('hs', 'abc', sig));
    assert.equal(media.url('https://not-mxc/x'), null);
    assert.equal(media.url('mxc://hs/../etc'), null);
  });
});
