// Slack "mrkdwn" -> Matrix `body` (plain text) and `formatted_body` (org.matrix.custom.html). Pure.
//
// Slack sends text with `&`, `<` and `>` escaped as entities; a raw `<...>` is always one of its tokens (links,
// user/channel mentions, special mentions). Formatting is *bold*, _italic_, ~strike~, `code`, ```blocks``` and
// `>` / `>>>` quotes. Everything else is text and is HTML-escaped. Tokens and code spans are swapped for
// placeholders before the emphasis markers are looked at, so a `_` in a URL or in code never starts italics.

export interface SlackUserInfo {
  /** Shown in place of `<@U123>`. */
  name: string;
  /** Matrix user to link (a pill), e.g. the user's ghost. */
  userId?: string;
}

export interface MrkdwnOptions {
  /** Display information for a Slack user id mentioned as `<@U123>` (pre-fetched by the caller). */
  user?: (slackUserId: string) => SlackUserInfo | undefined;
}

export interface MatrixText {
  body: string;
  html: string;
  /** False when the HTML says nothing the plain body does not (no formatted_body needed). */
  formatted: boolean;
}

interface Piece {
  html: string;
  plain: string;
}

const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000([0-9]+)\uE001/g;
const EMPHASIS = /(?<![\p{L}\p{N}])([*_~])(?!\s)((?:(?!\1)[^\n])+?)(?<!\s)\1(?![\p{L}\p{N}])/gu;
const TAGS: Record<string, string> = { '*': 'strong', _: 'em', '~': 'del' };

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Undoes Slack's three entities. */
export function decodeSlackEntities(s: string): string {
  return s.replace(/&(amp|lt|gt);/g, (_m, e: string) => (e === 'amp' ? '&' : e === 'lt' ? '<' : '>'));
}

/** Slack user ids mentioned as `<@U123>` / `<@U123|name>`, so the caller can look their names up first. */
export function mentionedSlackUsers(text: string): string[] {
  const ids = new Set<string>();
  for (const m of text.matchAll(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g)) ids.add(m[1] as string);
  return [...ids];
}

export function mrkdwnToMatrix(text: string, opts: MrkdwnOptions = {}): MatrixText {
  const clean = text.replace(/[\uE000\uE001]/g, '');
  const parts = clean.split('```');
  // An unclosed fence is literal text: glue the last two parts back together.
  if (parts.length % 2 === 0) {
    const last = parts.pop() as string;
    parts[parts.length - 1] += '```' + last;
  }
  const html: string[] = [];
  const plain: string[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      const code = decodeSlackEntities(part.replace(/^\n/, '').replace(/\n$/, ''));
      html.push(`<pre><code>${escapeHtml(code)}</code></pre>`);
      plain.push('```\n' + code + '\n```');
    } else if (part !== '') {
      const r = convertLines(part, opts);
      html.push(r.html);
      plain.push(r.plain);
    }
  });
  const body = plain.join('\n');
  const htmlOut = html.join('');
  return { body, html: htmlOut, formatted: htmlOut !== escapeHtml(body).replace(/\n/g, '<br>') };
}

/** Text outside code blocks: runs of quoted lines become blockquotes, other lines are joined with <br>. */
function convertLines(text: string, opts: MrkdwnOptions): Piece {
  const lines = text.split('\n');
  // Trim the line breaks that only separate this text from a neighbouring code block.
  if (lines[0] === '' && lines.length > 1) lines.shift();
  if (lines[lines.length - 1] === '' && lines.length > 1) lines.pop();
  const html: string[] = [];
  const plain: string[] = [];
  let quote: string[] = [];
  let normal: string[] = [];
  const flushNormal = (): void => {
    if (normal.length === 0) return;
    const pieces = normal.map((l) => inline(l, opts));
    html.push(pieces.map((p) => p.html).join('<br>'));
    plain.push(pieces.map((p) => p.plain).join('\n'));
    normal = [];
  };
  const flushQuote = (): void => {
    if (quote.length === 0) return;
    const pieces = quote.map((l) => inline(l, opts));
    html.push(`<blockquote>${pieces.map((p) => p.html).join('<br>')}</blockquote>`);
    plain.push(pieces.map((p) => `> ${p.plain}`).join('\n'));
    quote = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const rest = /^(?:&gt;|>){3}\s?(.*)$/s.exec(line);
    if (rest) {
      // `>>>` quotes everything after it.
      flushNormal();
      quote.push(rest[1] as string, ...lines.slice(i + 1));
      break;
    }
    const q = /^(?:&gt;|>)\s?(.*)$/.exec(line);
    if (q) {
      flushNormal();
      quote.push(q[1] as string);
    } else {
      flushQuote();
      normal.push(line);
    }
  }
  flushNormal();
  flushQuote();
  // A blockquote is a block: it needs no <br> around it, the plain text does need its line breaks.
  return { html: html.join(''), plain: plain.join('\n') };
}

function inline(line: string, opts: MrkdwnOptions): Piece {
  const held: Piece[] = [];
  const hold = (p: Piece): string => {
    held.push(p);
    return `${OPEN}${held.length - 1}${CLOSE}`;
  };
  let s = line.replace(/`([^`\n]+)`/g, (_m, code: string) => {
    const c = decodeSlackEntities(code);
    return hold({ html: `<code>${escapeHtml(c)}</code>`, plain: `\`${c}\`` });
  });
  s = s.replace(/<([^<>\n]+)>/g, (m, token: string) => hold(renderToken(token, opts) ?? { html: escapeHtml(decodeSlackEntities(m)), plain: decodeSlackEntities(m) }));

  const text = escapeHtml(decodeSlackEntities(s));
  const html = emphasise(text);
  const fill = (str: string, key: keyof Piece): string => str.replace(PLACEHOLDER, (_m, n: string) => (held[Number(n)] as Piece)[key]);
  return { html: fill(html, 'html'), plain: fill(decodeSlackEntities(s), 'plain') };
}

/** Leftmost marker pair first; its inside is emphasised again, so nesting comes out well-formed. */
function emphasise(s: string): string {
  return s.replace(EMPHASIS, (_m, mark: string, inner: string) => {
    const tag = TAGS[mark] as string;
    return `<${tag}>${emphasise(inner)}</${tag}>`;
  });
}

function renderToken(token: string, opts: MrkdwnOptions): Piece | null {
  const bar = token.indexOf('|');
  const target = bar === -1 ? token : token.slice(0, bar);
  const label = bar === -1 ? null : decodeSlackEntities(token.slice(bar + 1));
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const info = opts.user?.(id);
    const name = info?.name ?? label ?? id;
    if (info?.userId) return { html: `<a href="https://matrix.to/#/${encodeURIComponent(info.userId)}">${escapeHtml(name)}</a>`, plain: name };
    return { html: `@${escapeHtml(name)}`, plain: `@${name}` };
  }
  if (target.startsWith('#')) {
    const name = `#${label ?? target.slice(1)}`;
    return { html: escapeHtml(name), plain: name };
  }
  if (target.startsWith('!')) {
    // Special mentions (<!here>, <!channel>, <!everyone>), user groups and dates: their label, else @name.
    const special = label ?? `@${target.slice(1).split('^')[0] ?? ''}`;
    return { html: escapeHtml(special), plain: special };
  }
  const url = decodeSlackEntities(target);
  if (!/^(https?:\/\/|mailto:)/i.test(url)) return null;
  const shown = label ?? url.replace(/^mailto:/i, '');
  return {
    html: `<a href="${escapeHtml(url)}">${escapeHtml(shown)}</a>`,
    plain: label === null || label === url || `mailto:${label}` === url ? shown : `${label} (${url})`,
  };
}
