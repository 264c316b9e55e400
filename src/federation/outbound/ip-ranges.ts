import { BlockList, isIP } from 'node:net';

// Outbound SSRF guard (Synapse's ip_range_blacklist / ip_range_whitelist): federation requests, key
// fetches and .well-known lookups must not be usable to reach loopback, private or reserved networks.
// The check runs on the resolved address of every connection, never on the host name, so a DNS name
// pointing at 127.0.0.1 is refused as firmly as the literal.

export interface IpPolicy {
  /** True when a connection to this resolved address is allowed. */
  allows(address: string): boolean;
}

function addRange(list: BlockList, range: string): void {
  const slash = range.indexOf('/');
  const address = (slash < 0 ? range : range.slice(0, slash)).replace(/^\[|\]$/g, '');
  const family = isIP(address);
  if (family === 0) throw new Error(`not an IP address or CIDR range: ${range}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) {
    list.addAddress(address, type);
    return;
  }
  const prefix = Number(range.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new Error(`bad prefix length in ${range}`);
  }
  list.addSubnet(address, prefix, type);
}

function buildList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const r of ranges) addRange(list, r);
  return list;
}

/**
 * An address is refused when it is in a blocked range and not in an allowed one (the allow list carves
 * exceptions out of the block list, as in Synapse). IPv4-mapped IPv6 addresses are matched against the
 * IPv4 ranges too, so `::ffff:127.0.0.1` cannot slip past `127.0.0.0/8`. Unparseable addresses are refused.
 */
export function createIpPolicy(blocked: readonly string[], allowed: readonly string[] = []): IpPolicy {
  const blockList = buildList(blocked);
  const allowList = buildList(allowed);
  return {
    allows(address: string): boolean {
      const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
      const family = isIP(bare);
      if (family === 0) return false;
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (allowList.check(bare, type)) return true;
      return !blockList.check(bare, type);
    },
  };
}

/** A policy that allows every address (used for explicitly configured test destinations). */
export const ALLOW_ALL_IPS: IpPolicy = Object.freeze({ allows: () => true });
