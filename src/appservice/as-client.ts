import type { AppserviceEntry } from './registry.js';

// Requests from the homeserver to an application service (the Application Service API), all authenticated
// with the service's hs_token in the Authorization header.

export interface AsResponse {
  status: number;
  body: unknown;
}

export class AsConnectionError extends Error {
  override name = 'AsConnectionError';
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export interface AsRequest {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Sends one request; throws AsConnectionError when there is no HTTP answer (refused, DNS, timeout). */
export async function asRequest(entry: AppserviceEntry, req: AsRequest): Promise<AsResponse> {
  const base = entry.reg.url;
  if (base === null) throw new AsConnectionError(`appservice ${entry.id} has no url`, false);
  const url = new URL(base + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { Authorization: `Bearer ${entry.reg.hsToken}` };
  if (req.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method: req.method, headers, body: req.body, signal: AbortSignal.timeout(req.timeoutMs) });
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new AsConnectionError(timedOut ? `timed out after ${req.timeoutMs} ms` : (cause ?? e.message), timedOut);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new AsConnectionError(`reading the response failed: ${(err as Error).message}`, false);
  }
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, body };
}

export const enc = encodeURIComponent;
