import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mentionedSlackUsers, mrkdwnToMatrix } from '../../src/slack-inbound/mrkdwn.js';

const html = (t: string, o = {}) => mrkdwnToMatrix(t, o).html;

test('bold, italic and strike become strong, em and del', () => {
  assert.equal(html('a *b* _c_ ~d~'), 'a <strong>b</strong> <em>c</em> <del>d</del>');
  const r = mrkdwnToMatrix('*hi*');
  assert.equal(r.body, '*hi*');
  assert.equal(r.formatted, true);
});

test('markers inside words, around spaces or unclosed stay literal', () => {
  assert.equal(html('snake_case_name and 2*3*4'), 'snake_case_name and 2*3*4');
  assert.equal(html('* not bold *'), '* not bold *');
  assert.equal(html('*open'), '*open');
  assert.equal(mrkdwnToMatrix('plain words').formatted, false);
});

test('nested and overlapping markers give well-formed HTML', () => {
  assert.equal(html('*bold _both_*'), '<strong>bold <em>both</em></strong>');
  assert.equal(html('*a _b* c_'), '<strong>a _b</strong> c_');
});

test('inline code and code blocks are not formatted inside and are escaped', () => {
  assert.equal(html('run `a_b_c *x*` now'), 'run <code>a_b_c *x*</code> now');
  const r = mrkdwnToMatrix('before\n```\nif (a &lt; b) { *x* }\n```\nafter');
  assert.equal(r.html, 'before<pre><code>if (a &lt; b) { *x* }</code></pre>after');
  assert.equal(r.body, 'before\n```\nif (a < b) { *x* }\n```\nafter');
  assert.equal(html('```unclosed'), '```unclosed');
});

test('quotes: > lines become one blockquote, >>> quotes the rest', () => {
  assert.equal(html('&gt; one\n&gt; two\nafter'), '<blockquote>one<br>two</blockquote>after');
  assert.equal(html('intro\n&gt;&gt;&gt; all\nof *this*'), 'intro<blockquote>all<br>of <strong>this</strong></blockquote>');
  assert.equal(mrkdwnToMatrix('&gt; q\nx').body, '> q\nx');
});

test('links with and without labels; entities in URLs decoded; unknown schemes stay text', () => {
  assert.equal(html('see <https://ex.org/a_b_c?x=1&amp;y=2|the _docs_>'), 'see <a href="https://ex.org/a_b_c?x=1&amp;y=2">the _docs_</a>');
  assert.equal(mrkdwnToMatrix('<https://ex.org|site>').body, 'site (https://ex.org)');
  assert.equal(mrkdwnToMatrix('<https://ex.org>').body, 'https://ex.org');
  assert.equal(html('<mailto:a@b.c|a@b.c>'), '<a href="mailto:a@b.c">a@b.c</a>');
  assert.equal(html('<javascript:alert(1)|x>'), '&lt;javascript:alert(1)|x&gt;');
});

test('user mentions become pills when the user is known, names otherwise; channels and specials read well', () => {
  const user = (id: string) => (id === 'U1' ? { name: 'Ann', userId: '@slack_t1_u1:hs' } : undefined);
  const r = mrkdwnToMatrix('hi <@U1> and <@U2> in <#C9|general>, <!here>', { user });
  assert.equal(r.html, 'hi <a href="https://matrix.to/#/%40slack_t1_u1%3Ahs">Ann</a> and @U2 in #general, @here');
  assert.equal(r.body, 'hi Ann and @U2 in #general, @here');
  assert.deepEqual(mentionedSlackUsers('<@U1> <@U2|bob> <@U1>'), ['U1', 'U2']);
  assert.equal(html('<!subteam^S1|@devs>'), '@devs');
});

test('Slack entities are decoded and everything else is HTML-escaped', () => {
  const r = mrkdwnToMatrix('a &amp; b &lt;script&gt;alert("x")&lt;/script&gt; \'q\'');
  assert.equal(r.body, 'a & b <script>alert("x")</script> \'q\'');
  assert.equal(r.html, 'a &amp; b &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#39;q&#39;');
  assert.equal(html('line1\nline2'), 'line1<br>line2');
});

test('our placeholder characters in the input cannot inject markup', () => {
  assert.equal(html('x\uE0000\uE001 <https://a.b|l>'), 'x0 <a href="https://a.b">l</a>');
});
