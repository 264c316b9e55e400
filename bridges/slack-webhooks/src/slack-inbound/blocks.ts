// Text of a Slack message that has no `text`: Block Kit `blocks` and legacy `attachments`, flattened to
// mrkdwn so the one converter (mrkdwn.ts) formats it. Pure. Interactive elements (buttons, menus) carry no
// message text and are left out.

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Plain text put into mrkdwn: Slack's three entities, so the converter shows it verbatim. */
function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A composition text object ({type: plain_text | mrkdwn, text}). */
function textObject(v: unknown): string | null {
  if (!isObj(v)) return null;
  const t = str(v.text);
  if (t === null) return null;
  return v.type === 'mrkdwn' ? t : escapeMrkdwn(t);
}

function richElement(e: unknown): string {
  if (!isObj(e)) return '';
  const style = isObj(e.style) ? e.style : {};
  const styled = (s: string): string => {
    // Markers must hug the words (` *x* `, not `* x*`), so surrounding spaces stay outside them.
    const m = /^(\s*)(.*?)(\s*)$/s.exec(s);
    const [lead, core, trail] = [m?.[1] ?? '', m?.[2] ?? s, m?.[3] ?? ''];
    if (core === '') return s;
    let out = core;
    if (style.code === true) return `${lead}\`${out}\`${trail}`;
    if (style.strike === true) out = `~${out}~`;
    if (style.italic === true) out = `_${out}_`;
    if (style.bold === true) out = `*${out}*`;
    return lead + out + trail;
  };
  switch (e.type) {
    case 'text':
      return styled(escapeMrkdwn(str(e.text) ?? ''));
    case 'link': {
      const url = str(e.url);
      if (url === null) return '';
      const label = str(e.text);
      return label ? `<${url}|${escapeMrkdwn(label)}>` : `<${url}>`;
    }
    case 'user':
      return str(e.user_id) ? `<@${e.user_id as string}>` : '';
    case 'channel':
      return str(e.channel_id) ? `<#${e.channel_id as string}>` : '';
    case 'usergroup':
      return str(e.usergroup_id) ? `<!subteam^${e.usergroup_id as string}>` : '';
    case 'broadcast':
      return str(e.range) ? `<!${e.range as string}>` : '';
    case 'emoji':
      return str(e.unicode) ? String.fromCodePoint(...(e.unicode as string).split('-').map((h) => parseInt(h, 16))) : `:${str(e.name) ?? ''}:`;
    default:
      return '';
  }
}

function richBlock(el: unknown): string {
  if (!isObj(el)) return '';
  const inner = arr(el.elements);
  switch (el.type) {
    case 'rich_text_section':
      return inner.map(richElement).join('');
    case 'rich_text_preformatted':
      return '```' + inner.map(richElement).join('') + '```';
    case 'rich_text_quote':
      return inner
        .map(richElement)
        .join('')
        .split('\n')
        .map((l) => `> ${l}`)
        .join('\n');
    case 'rich_text_list':
      return inner.map((item, i) => `${el.style === 'ordered' ? `${i + 1}.` : '•'} ${richBlock(item)}`).join('\n');
    default:
      return '';
  }
}

function blockText(b: unknown): string | null {
  if (!isObj(b)) return null;
  switch (b.type) {
    case 'section': {
      const parts = [textObject(b.text), ...arr(b.fields).map(textObject)].filter((x): x is string => x !== null);
      return parts.length ? parts.join('\n') : null;
    }
    case 'header': {
      const t = textObject(b.text);
      return t === null ? null : `*${t}*`;
    }
    case 'context': {
      const parts = arr(b.elements).map((e) => textObject(e) ?? (isObj(e) && e.type === 'image' ? str(e.alt_text) : null));
      const shown = parts.filter((x): x is string => x !== null);
      return shown.length ? shown.join(' ') : null;
    }
    case 'image': {
      const url = str(b.image_url);
      const alt = str(b.alt_text) ?? textObject(b.title);
      return url ? `<${url}|${escapeMrkdwn(alt ?? url)}>` : null;
    }
    case 'rich_text': {
      const t = arr(b.elements).map(richBlock).join('\n');
      return t === '' ? null : t;
    }
    default:
      return null;
  }
}

/** Mrkdwn of a `blocks` array, one block per line; null when nothing in it is text. */
export function textFromBlocks(blocks: unknown): string | null {
  const lines = arr(blocks).map(blockText).filter((x): x is string => x !== null && x !== '');
  return lines.length ? lines.join('\n') : null;
}

/** Mrkdwn of legacy `attachments`: pretext, title (linked), text and fields, else the fallback. */
export function textFromAttachments(attachments: unknown): string | null {
  const out: string[] = [];
  for (const a of arr(attachments)) {
    if (!isObj(a)) continue;
    const fromBlocks = textFromBlocks(a.blocks);
    const title = str(a.title);
    const link = str(a.title_link);
    const parts = [
      str(a.pretext),
      title ? (link ? `<${link}|${title}>` : `*${title}*`) : null,
      str(a.text),
      ...arr(a.fields).map((f) => (isObj(f) && str(f.title) ? `*${f.title as string}*: ${str(f.value) ?? ''}` : null)),
      fromBlocks,
    ].filter((x): x is string => x !== null);
    const shown = parts.length ? parts.join('\n') : str(a.fallback);
    if (shown) out.push(shown);
  }
  return out.length ? out.join('\n') : null;
}

/** The text to show for a Slack-compatible message payload: `text`, else its blocks, else its attachments. */
export function messageText(payload: { text?: unknown; blocks?: unknown; attachments?: unknown }): string | null {
  return str(payload.text) ?? textFromBlocks(payload.blocks) ?? textFromAttachments(payload.attachments);
}
