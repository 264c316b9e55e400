import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageText, textFromAttachments, textFromBlocks } from '../../src/slack-inbound/blocks.js';
import { mrkdwnToMatrix } from '../../src/slack-inbound/mrkdwn.js';

test('text wins over blocks; blocks are the fallback when there is no text', () => {
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* done' } }];
  assert.equal(messageText({ text: 'plain', blocks }), 'plain');
  assert.equal(messageText({ blocks }), '*Deploy* done');
  assert.equal(messageText({ text: '', blocks: [] }), null);
});

test('section, fields, header, context and image blocks are flattened; plain_text is escaped', () => {
  const t = textFromBlocks([
    { type: 'header', text: { type: 'plain_text', text: 'Alert <1>' } },
    { type: 'section', text: { type: 'plain_text', text: 'a & b' }, fields: [{ type: 'mrkdwn', text: '*CPU*: 95%' }] },
    { type: 'divider' },
    { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Ack' } }] },
    { type: 'context', elements: [{ type: 'mrkdwn', text: 'host _db1_' }, { type: 'image', alt_text: 'logo', image_url: 'https://x/y.png' }] },
    { type: 'image', image_url: 'https://x/graph.png', alt_text: 'graph' },
  ]);
  assert.equal(t, '*Alert &lt;1&gt;*\na &amp; b\n*CPU*: 95%\nhost _db1_ logo\n<https://x/graph.png|graph>');
  assert.equal(mrkdwnToMatrix(t ?? '').html.split('<br>')[0], '<strong>Alert &lt;1&gt;</strong>');
});

test('rich_text blocks keep styles, links, mentions, code and lists', () => {
  const t = textFromBlocks([
    {
      type: 'rich_text',
      elements: [
        {
          type: 'rich_text_section',
          elements: [
            { type: 'text', text: 'Hi ' },
            { type: 'user', user_id: 'U1' },
            { type: 'text', text: ' bold', style: { bold: true } },
            { type: 'text', text: ' ' },
            { type: 'link', url: 'https://e.org', text: 'here' },
            { type: 'emoji', name: 'wave', unicode: '1f44b' },
          ],
        },
        { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'x < y' }] },
        { type: 'rich_text_list', style: 'bullet', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'one' }] }] },
      ],
    },
  ]);
  assert.match(mrkdwnToMatrix(t ?? '').html, /<strong>bold<\/strong>/);
  assert.equal(t, 'Hi <@U1> *bold* <https://e.org|here>👋\n```x &lt; y```\n• one');
});

test('attachments: pretext, title, text and fields, else fallback', () => {
  assert.equal(
    textFromAttachments([{ pretext: 'New alert', title: 'Disk', title_link: 'https://g/d', text: 'full', fields: [{ title: 'Host', value: 'db1' }] }, { fallback: 'only fallback' }]),
    'New alert\n<https://g/d|Disk>\nfull\n*Host*: db1\nonly fallback',
  );
  assert.equal(messageText({ attachments: [{ color: 'red' }] }), null);
});
