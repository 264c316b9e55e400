import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { assertPublicLiteral, guardedLookup, PrivateAddressError } from './address-guard.js';

// One POST to a Slack incoming webhook. The outcome says what the caller should do: done, retry (429, 5xx, network
// trouble; with Retry-After when Slack gave one), or give up (the hook is gone, the payload is refused, the target
// is not allowed).

/** The JSON an incoming webhook takes (the subset we send). */
export interface SlackWebhookPayload {
  text: string;
  username?: string;
  icon_url?: string;
  mrkdwn?: boolean;
  unfurl_links?: boolean;
}

export type PostOutcome =
  | { kind: 'ok' }
  | { kind: 'retry'; retryAfterMs: number | null; reason: string }
  | { kind: 'fail'; reason: string };

export interface PostOptions {
  allowPrivateTargets: boolean;
  timeoutMs?: number;
}

/** Retry-After is seconds (or an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function validateWebhookUrl(raw: string, allowPrivateTargets: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PrivateAddressError(`${raw} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(allowPrivateTargets && url.protocol === 'http:')) throw new PrivateAddressError('the webhook URL must be https');
  if (url.username || url.password) throw new PrivateAddressError('the webhook URL must not carry credentials');
  if (!allowPrivateTargets) assertPublicLiteral(url);
  return url;
}

export function postToWebhook(rawUrl: string, payload: SlackWebhookPayload, opts: PostOptions): Promise<PostOutcome> {
  let url: URL;
  try {
    url = validateWebhookUrl(rawUrl, opts.allowPrivateTargets);
  } catch (err) {
    return Promise.resolve({ kind: 'fail', reason: (err as Error).message });
  }
  const body = Buffer.from(JSON.stringify(payload));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length },
        timeout: opts.timeoutMs ?? 15_000,
        ...(opts.allowPrivateTargets ? {} : { lookup: guardedLookup as never }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Slack answers "ok" or a short error word; keep only the start of anything longer.
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, 200);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ kind: 'ok' });
          else if (status === 429 || status >= 500) {
            const ra = res.headers['retry-after'];
            resolve({ kind: 'retry', retryAfterMs: parseRetryAfter(Array.isArray(ra) ? ra[0] : ra), reason: `HTTP ${status} ${text}` });
          } else resolve({ kind: 'fail', reason: `HTTP ${status} ${text}` });
        });
        res.on('error', (err) => resolve({ kind: 'retry', retryAfterMs: null, reason: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => {
      if (err instanceof PrivateAddressError) resolve({ kind: 'fail', reason: err.message });
      else resolve({ kind: 'retry', retryAfterMs: null, reason: err.message });
    });
    req.end(body);
  });
}
