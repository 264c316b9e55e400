import { createHmac } from 'node:crypto';
import type { Config } from '../../src/config/types.js';

// Creating users quickly in integration tests: Synapse's shared-secret registration against the real server
// (no UIA, no rate limit). The server must have registrationSharedSecret set; startTestServer's config does
// when started through startTestServerWithUsers, or pass `registrationSharedSecret` yourself.

export interface RegisteredUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  /** The password the user was registered with (for login / UIA tests). */
  password: string;
}

export interface RegisterUserOptions {
  password?: string;
  admin?: boolean;
  displayname?: string;
  userType?: 'bot' | 'support';
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
  }
}

export async function registerUser(
  baseUrl: string,
  config: Pick<Config, 'registrationSharedSecret'>,
  localpart: string,
  opts: RegisterUserOptions = {},
): Promise<RegisteredUser> {
  const secret = config.registrationSharedSecret;
  if (!secret) throw new Error('registerUser needs a server started with registrationSharedSecret');
  const password = opts.password ?? `pw-${localpart}`;
  const admin = opts.admin ?? false;
  const nonceRes = await fetch(`${baseUrl}/_synapse/admin/v1/register`);
  const { nonce } = (await json(nonceRes)) as { nonce?: string };
  if (typeof nonce !== 'string') throw new Error(`no nonce (HTTP ${nonceRes.status})`);
  const mac = createHmac('sha1', secret);
  mac.update(`${nonce}\0${localpart}\0${password}\0${admin ? 'admin' : 'notadmin'}`);
  if (opts.userType) mac.update(`\0${opts.userType}`);
  const res = await fetch(`${baseUrl}/_synapse/admin/v1/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      nonce,
      username: localpart,
      password,
      admin,
      mac: mac.digest('hex'),
      ...(opts.displayname !== undefined ? { displayname: opts.displayname } : {}),
      ...(opts.userType !== undefined ? { user_type: opts.userType } : {}),
    }),
  });
  const body = await json(res);
  if (res.status !== 200) throw new Error(`registering ${localpart} failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  return { userId: String(body.user_id), accessToken: String(body.access_token), deviceId: String(body.device_id), password };
}

/** A shared secret and a fast bcrypt cost for startTestServer overrides: `startTestServer({...TEST_USER_CONFIG})`. */
export const TEST_USER_CONFIG = { registrationSharedSecret: 'test-shared-secret', bcryptRounds: 4 } as const satisfies Partial<Config>;
