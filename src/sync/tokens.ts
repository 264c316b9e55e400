import { invalidParam } from '../errors/index.js';

// Sync tokens (next_batch / since): `s<events>_<typing>_<receipts>_<account_data>_<presence>` followed by the
// positions of the extra streams registered with the sync service (extensions.ts), in registration order.
// The events position comes first so /messages can read it as a room pagination token (the integer between
// 's' and the first '_'). Missing trailing parts read as 0, so tokens minted before a stream was added stay
// valid; unknown extra parts are ignored.

export interface SyncPositions {
  events: number;
  typing: number;
  receipts: number;
  accountData: number;
  presence: number;
  /** Positions of the extra streams, by extension name. */
  extra: Record<string, number>;
}

export function formatSyncToken(p: SyncPositions, extraOrder: readonly string[]): string {
  const parts = [p.events, p.typing, p.receipts, p.accountData, p.presence];
  for (const name of extraOrder) parts.push(p.extra[name] ?? 0);
  return `s${parts.join('_')}`;
}

export function parseSyncToken(token: string, extraOrder: readonly string[]): SyncPositions {
  if (!/^s\d{1,16}(_\d{1,16})*$/.test(token)) throw invalidParam(`Invalid sync token: ${token.slice(0, 64)}`);
  const nums = token
    .slice(1)
    .split('_')
    .map((s) => Number(s));
  if (nums.some((n) => !Number.isSafeInteger(n))) throw invalidParam('Invalid sync token');
  const at = (i: number): number => nums[i] ?? 0;
  const extra: Record<string, number> = {};
  extraOrder.forEach((name, i) => {
    extra[name] = at(5 + i);
  });
  return { events: at(0), typing: at(1), receipts: at(2), accountData: at(3), presence: at(4), extra };
}
