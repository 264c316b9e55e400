import { Parser } from 'htmlparser2';

// Matrix -> plain-text remote formats. Matrix's rich text is a small HTML subset (org.matrix.custom.html);
// Slack's is mrkdwn. The conversion keeps meaning (emphasis, code, links, quotes, lists), drops what mrkdwn cannot
// say, and escapes the three characters Slack treats as control (&, <, >) everywhere else.

/** Escapes text for a Slack message: Slack reads `<...>` as links/mentions and `&` as an entity. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Removes the reply fallback (leading `> ` lines and the blank line after them) from a plain body. */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  if (!lines[0]?.startsWith('> ')) return body;
  let i = 0;
  while (i < lines.length && (lines[i] as string).startsWith('>')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

const INLINE: Record<string, string> = { strong: '*', b: '*', em: '_', i: '_', del: '~', s: '~', strike: '~', code: '`' };

/** Converts Matrix HTML to Slack mrkdwn. `<mx-reply>` (the rich reply fallback) is dropped. */
export function htmlToSlackMrkdwn(html: string): string {
  let out = '';
  let skip = 0; // depth inside <mx-reply>
  let pre = 0;
  const quote: number[] = []; // output offsets where blockquotes started
  const lists: Array<{ ordered: boolean; n: number }> = [];
  const links: Array<{ href: string; start: number }> = [];
  const newline = () => {
    if (out !== '' && !out.endsWith('\n')) out += '\n';
  };
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'mx-reply') skip++;
        if (skip) return;
        const mark = INLINE[name];
        if (mark && !(name === 'code' && pre)) out += mark;
        else if (name === 'pre') {
          newline();
          out += '```\n';
          pre++;
        } else if (name === 'br') out += '\n';
        else if (name === 'p' || /^h[1-6]$/.test(name) || name === 'div') {
          newline();
          if (/^h[1-6]$/.test(name)) out += '*';
        } else if (name === 'blockquote') {
          newline();
          quote.push(out.length);
        } else if (name === 'ul' || name === 'ol') {
          newline();
          lists.push({ ordered: name === 'ol', n: Number(attrs.start ?? '1') || 1 });
        } else if (name === 'li') {
          newline();
          const list = lists[lists.length - 1];
          out += '  '.repeat(Math.max(0, lists.length - 1)) + (list?.ordered ? `${list.n++}. ` : '• ');
        } else if (name === 'a') links.push({ href: attrs.href ?? '', start: out.length });
        else if (name === 'img') out += escapeSlackText(attrs.alt ?? attrs.title ?? attrs.src ?? '');
      },
      ontext(text) {
        if (skip) return;
        out += escapeSlackText(text);
      },
      onclosetag(name) {
        if (name === 'mx-reply') {
          skip = Math.max(0, skip - 1);
          return;
        }
        if (skip) return;
        const mark = INLINE[name];
        if (mark && !(name === 'code' && pre)) out += mark;
        else if (name === 'pre') {
          pre = Math.max(0, pre - 1);
          newline();
          out += '```\n';
        } else if (/^h[1-6]$/.test(name)) out += '*\n';
        else if (name === 'p' || name === 'div') newline();
        else if (name === 'blockquote') {
          const start = quote.pop() ?? out.length;
          const body = out.slice(start).replace(/\n+$/, '');
          out = out.slice(0, start) + body.split('\n').map((l) => `> ${l}`).join('\n') + '\n';
        } else if (name === 'ul' || name === 'ol') {
          lists.pop();
          newline();
        } else if (name === 'a') {
          const link = links.pop();
          if (!link) return;
          const text = out.slice(link.start);
          // A mention pill (a matrix.to link to a user) reads as its label, which is the display name: the link
          // would lead Slack users nowhere useful. Other links keep their target, and their label when it differs.
          if (/^https:\/\/matrix\.to\/#\/@/i.test(link.href)) {
            if (!text.startsWith('@')) out = `${out.slice(0, link.start)}@${text}`;
          } else if (/^(https?|mailto):/i.test(link.href)) {
            const href = link.href.replace(/[|<>]/g, encodeURIComponent);
            out = out.slice(0, link.start) + (text === '' || text === escapeSlackText(link.href) ? `<${href}>` : `<${href}|${text}>`);
          }
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  return out.replace(/\n{3,}/g, '\n\n').replace(/^\n+|\n+$/g, '');
}

/**
 * The Slack text for a Matrix message content: its HTML converted when it has some, otherwise its plain body
 * escaped; either way without the reply fallback.
 */
export function plainBodyOf(content: { body?: unknown; format?: unknown; formatted_body?: unknown }): string {
  if (content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string') return htmlToSlackMrkdwn(content.formatted_body);
  return escapeSlackText(stripReplyFallback(typeof content.body === 'string' ? content.body : ''));
}
