// Accounts, devices, access and refresh tokens, profiles, UIA sessions, registration tokens
// (migrations/0003_accounts.ts). Methods are defined by the accounts work (src/users, src/auth).
export interface AccountStore {}
