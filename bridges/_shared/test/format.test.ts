import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { escapeSlackText, htmlToSlackMrkdwn, plainBodyOf, stripReplyFallback } from '../src/format.js';

describe('Matrix -> Slack formatting', () => {
  it('escapes the characters Slack treats as markup', () => {
    assert.equal(escapeSlackText('a < b && c > d'), 'a &lt; b &amp;&amp; c &gt; d');
  });

  it('converts emphasis, code, links, quotes and lists to mrkdwn', () => {
    assert.equal(htmlToSlackMrkdwn('<b>bold</b> <em>it</em> <del>gone</del> <code>x&lt;y</code>'), '*bold* _it_ ~gone~ `x&lt;y`');
    assert.equal(htmlToSlackMrkdwn('see <a href="https://example.org/a?b=1">the docs</a>'), 'see <https://example.org/a?b=1|the docs>');
    assert.equal(htmlToSlackMrkdwn('<a href="https://example.org">https://example.org</a>'), '<https://example.org>');
    assert.equal(htmlToSlackMrkdwn('<blockquote>quoted<br>twice</blockquote>after'), '> quoted\n> twice\nafter');
    assert.equal(htmlToSlackMrkdwn('<ul><li>one</li><li>two</li></ul>'), '• one\n• two');
    assert.equal(htmlToSlackMrkdwn('<ol start="3"><li>three</li><li>four</li></ol>'), '3. three\n4. four');
    assert.equal(htmlToSlackMrkdwn('<pre><code>let a = 1;\n</code></pre>'), '```\nlet a = 1;\n```');
  });

  it('turns mention pills into @name and keeps room links', () => {
    assert.equal(htmlToSlackMrkdwn('hi <a href="https://matrix.to/#/@alice:hs">Alice</a>!'), 'hi @Alice!');
    assert.equal(htmlToSlackMrkdwn('<a href="https://matrix.to/#/@bob:hs">@bob</a>'), '@bob');
    assert.equal(htmlToSlackMrkdwn('<a href="https://matrix.to/#/#room:hs">#room</a>'), '<https://matrix.to/#/#room:hs|#room>');
  });

  it('drops the rich reply fallback and a javascript: link target', () => {
    assert.equal(htmlToSlackMrkdwn('<mx-reply><blockquote>old</blockquote></mx-reply>new'), 'new');
    assert.equal(htmlToSlackMrkdwn('<a href="javascript:alert(1)">click</a>'), 'click');
  });

  it('strips the plain reply fallback and prefers the HTML body', () => {
    assert.equal(stripReplyFallback('> <@a:b> old\n> more\n\nnew text'), 'new text');
    assert.equal(stripReplyFallback('no fallback'), 'no fallback');
    assert.equal(plainBodyOf({ body: '> <@a:b> x\n\n1 < 2' }), '1 &lt; 2');
    assert.equal(plainBodyOf({ body: '**b**', format: 'org.matrix.custom.html', formatted_body: '<strong>b</strong>' }), '*b*');
  });
});
