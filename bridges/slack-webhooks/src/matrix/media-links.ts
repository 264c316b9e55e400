import { createHmac, timingSafeEqual } from 'node:crypto';

// Links to Matrix media that Slack (and its users) can open without a Matrix account: the bridge's public
// /media route fetches the file with its own token. Each link carries an HMAC of the media id, so the route serves
// only media the bridge linked to, not every file the homeserver can reach.

export interface MediaLinks {
  /** The public URL for an mxc:// URI, or null when it is not one. */
  url(mxc: string, filename?: string): string | null;
  verify(serverName: string, mediaId: string, sig: string): boolean;
}

const SERVER = /^[A-Za-z0-9.\-:[\]]{1,255}$/;
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

export function parseMxc(mxc: string): { serverName: string; mediaId: string } | null {
  const m = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
  if (!m?.[1] || !m[2] || !SERVER.test(m[1]) || !MEDIA_ID.test(m[2])) return null;
  return { serverName: m[1], mediaId: m[2] };
}

export function isValidMediaPath(serverName: string, mediaId: string): boolean {
  return SERVER.test(serverName) && MEDIA_ID.test(mediaId);
}

export function createMediaLinks(publicUrl: string, secret: string): MediaLinks {
  // A key of its own, derived from the bridge's secret, so the signatures reveal nothing about the token.
  const key = createHmac('sha256', secret).update('slack-webhooks media links').digest();
  const sign = (serverName: string, mediaId: string) => createHmac('sha256', key).update(`${serverName}/${mediaId}`).digest('base64url').slice(0, 32);
  return {
    url(mxc, filename) {
      const p = parseMxc(mxc);
      if (!p) return null;
      const name = filename ? `/${encodeURIComponent(filename.replace(/[\\/]/g, '_'))}` : '';
      return `${publicUrl}/media/${encodeURIComponent(p.serverName)}/${p.mediaId}${name}?sig=${sign(p.serverName, p.mediaId)}`;
    },
    verify(serverName, mediaId, sig) {
      const want = Buffer.from(sign(serverName, mediaId));
      const got = Buffer.from(sig);
      return want.length === got.length && timingSafeEqual(want, got);
    },
  };
}
