// Per-user and ephemeral data with stream positions: account data (global, per room, tags), filters,
// receipts, presence (migrations/0004_user_data.ts). Methods are defined by the sync work (src/sync).
export interface UserDataStore {}
