// OpenGraph extraction from HTML, without a DOM: previews need a handful of <meta>, <title>, <link> and
// <img> tags, and a small tokenizer over a size-capped document is enough and cannot execute anything.
// Fallbacks follow Synapse: <title> for og:title, meta description (or page text) for og:description,
// the first image or icon for og:image.

export type OpenGraph = Record<string, string | number>;

// HTML 4's Latin-1 entities (U+00A0..U+00FF in order) plus the punctuation pages commonly use in titles.
const LATIN1_NAMES =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  ndash: '\u2013',
  mdash: '\u2014',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201c',
  rdquo: '\u201d',
  bull: '\u2022',
  hellip: '\u2026',
  euro: '\u20ac',
  trade: '\u2122',
  ...Object.fromEntries(LATIN1_NAMES.split(' ').map((name, i) => [name, String.fromCharCode(0xa0 + i)])),
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ent: string) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ent] ?? NAMED_ENTITIES[ent.toLowerCase()] ?? whole;
  });
}

function parseAttributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  // Skip the tag name.
  const body = tag.replace(/^<\s*[a-zA-Z0-9]+/, '').replace(/\/?>$/, '');
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const name = m[1]?.toLowerCase();
    if (name === undefined || name in attrs) continue;
    attrs[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

function tags(html: string, name: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  const re = new RegExp(`<${name}\\b[^>]*>`, 'gi');
  for (let m = re.exec(html); m; m = re.exec(html)) out.push(parseAttributes(m[0]));
  return out;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Visible text of the body, for a description when the page offers none. */
function pageText(html: string, maxChars: number): string {
  const body = /<body\b[^>]*>([\s\S]*)/i.exec(html)?.[1] ?? html;
  const text = collapse(
    decodeEntities(
      body
        .replace(/<(script|style|noscript|template|svg|head|header|nav|footer)\b[\s\S]*?<\/\1\s*>/gi, ' ')
        .replace(/<!--[\s\S]*?-->/g, ' ')
        .replace(/<[^>]+>/g, ' '),
    ),
  );
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return `${space > maxChars / 2 ? cut.slice(0, space) : cut}…`;
}

function absolute(href: string, base: URL): string | null {
  if (href === '' || href.startsWith('data:')) return null;
  try {
    const u = new URL(href, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/** The charset an HTML document declares (header first, then <meta>), defaulting to UTF-8. */
export function htmlCharset(contentType: string | null, head: Buffer): string {
  const fromHeader = contentType ? /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1] : undefined;
  if (fromHeader) return fromHeader;
  const prefix = head.subarray(0, 2048).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(prefix)?.[1] ?? 'utf-8';
}

export function decodeHtml(body: Buffer, contentType: string | null): string {
  try {
    return new TextDecoder(htmlCharset(contentType, body)).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

export function parseOpenGraph(html: string, pageUrl: URL): OpenGraph {
  const og: OpenGraph = {};
  for (const meta of tags(html, 'meta')) {
    const key = meta.property ?? meta.name;
    const content = meta.content;
    if (!key || content === undefined || !key.startsWith('og:')) continue;
    // The first value wins, as for arrays OpenGraph treats the first as primary.
    if (!(key in og)) og[key] = content.slice(0, 1000);
  }
  if (og['og:title'] === undefined) {
    const title = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)?.[1];
    if (title !== undefined && collapse(decodeEntities(title)) !== '') og['og:title'] = collapse(decodeEntities(title));
  }
  if (og['og:description'] === undefined) {
    const meta = tags(html, 'meta').find((m) => m.name?.toLowerCase() === 'description' && m.content);
    const description = meta?.content ? collapse(meta.content) : pageText(html, 500);
    if (description !== '') og['og:description'] = description;
  }
  const image = og['og:image'];
  if (typeof image === 'string') {
    const abs = absolute(image, pageUrl);
    if (abs) og['og:image'] = abs;
    else delete og['og:image'];
  } else {
    const img = tags(html, 'img').find((i) => i.src && !i.src.startsWith('data:'));
    const icon = tags(html, 'link').find((l) => l.href && /\bicon\b/i.test(l.rel ?? ''));
    const src = img?.src ?? icon?.href;
    const abs = src ? absolute(src, pageUrl) : null;
    if (abs) og['og:image'] = abs;
  }
  return og;
}
