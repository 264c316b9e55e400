// Defaults that are not one-liners in load.ts, with the reason for each.

/**
 * Synapse's default outbound blocklist: federation and URL previews must not be usable to reach hosts on private,
 * loopback, link-local or reserved networks (SSRF). Operators who federate inside a LAN override it.
 */
export const DEFAULT_IP_RANGE_BLOCKLIST: readonly string[] = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '192.0.0.0/24',
  '169.254.0.0/16',
  '192.88.99.0/24',
  '198.18.0.0/15',
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '::1/128',
  'fe80::/10',
  'fc00::/7',
  '2001:db8::/32',
  'ff00::/8',
  'fec0::/10',
];

/**
 * Largest JSON request body. Not 1 MiB: a federation transaction may carry 50 PDUs of up to 64 KiB each
 * (3.125 MiB) plus 100 EDUs, and a to-device fan-out of room keys to a few thousand devices is several MiB.
 * 8 MiB admits those with headroom while keeping a single parse cheap. Media uploads use max_upload_size instead.
 */
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 8 * 1024 * 1024;

/** Synapse's default: published server keys are valid for a day, so key rotation propagates within a day. */
export const DEFAULT_KEY_REFRESH_INTERVAL = '1d';

export const DEFAULT_MAX_UPLOAD_SIZE = '50M';

/**
 * Synapse binds `::` and `0.0.0.0` when a listener names no address. We bind only 0.0.0.0 by default because
 * Node's `::` socket is dual-stack on Linux (binding both collides) and fails outright on hosts without IPv6;
 * operators who want IPv6 list `::` explicitly.
 */
export const DEFAULT_BIND_ADDRESSES: readonly string[] = ['0.0.0.0'];
