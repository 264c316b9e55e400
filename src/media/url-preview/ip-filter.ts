import { BlockList, isIP } from 'node:net';

// Which addresses URL previews may connect to: the configured blacklist minus the whitelist, plus the
// unspecified addresses (0.0.0.0 and ::, which reach the local host) as Synapse always adds.

export interface IpFilter {
  /** True when connecting to `address` (an IP literal) is allowed. */
  allows(address: string): boolean;
}

function addRange(list: BlockList, cidr: string): void {
  const [addr, prefix] = cidr.split('/');
  if (addr === undefined) return;
  const family = isIP(addr);
  if (family === 0) throw new Error(`not an IP range: ${cidr}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) list.addAddress(addr, type);
  else list.addSubnet(addr, Number(prefix), type);
}

function build(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const r of ranges) addRange(list, r);
  return list;
}

/** ::ffff:a.b.c.d (and the hex form ::ffff:7f00:1) is an IPv4 address in disguise; check it as one. */
function mappedIPv4(address: string): string | null {
  const m = /^::ffff:(?:0:)?(.+)$/i.exec(address);
  if (!m || m[1] === undefined) return null;
  const rest = m[1];
  if (isIP(rest) === 4) return rest;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
  if (!hex || hex[1] === undefined || hex[2] === undefined) return null;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export function createIpFilter(blacklist: readonly string[], whitelist: readonly string[]): IpFilter {
  const blocked = build([...blacklist, '0.0.0.0/8', '::/128']);
  const allowed = build(whitelist);
  const check = (list: BlockList, address: string): boolean => {
    const family = isIP(address);
    if (family === 4) return list.check(address, 'ipv4');
    if (family !== 6) return false;
    const v4 = mappedIPv4(address);
    return list.check(address, 'ipv6') || (v4 !== null && list.check(v4, 'ipv4'));
  };
  return {
    allows(address) {
      const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
      if (isIP(bare) === 0) return false;
      if (check(allowed, bare)) return true;
      return !check(blocked, bare);
    },
  };
}
