// Identifier aliases. They are plain strings at run time; the names document intent at API boundaries.
// Parsing and validation live in src/protocol/identifiers.ts.
export type UserId = string;
export type RoomId = string;
export type EventId = string;
export type RoomAlias = string;
export type ServerName = string;
export type DeviceId = string;
export type KeyId = string;
