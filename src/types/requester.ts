import type { DeviceId, UserId } from './ids.js';

/** Who is making a client request, as established from its access token (or appservice token + user_id). */
export interface Requester {
  userId: UserId;
  /** Null for appservice requests without a device and for tokens without one. */
  deviceId: DeviceId | null;
  /** Row id of the access token used; null for appservice tokens. */
  accessTokenId: number | null;
  isGuest: boolean;
  /** The appservice id when the request was made with an as_token. */
  appserviceId: string | null;
  /**
   * Whether the account was suspended when its access token was looked up (the token cache is dropped when an
   * admin changes it); unknown for appservice requests, whose writes read the account instead.
   */
  suspended?: boolean;
}
