import type { Knex } from 'knex';
import { toSafeNumber } from './dialect.js';

// Row conversions shared by the account store files. SQLite hands back booleans as 0/1 and Postgres
// returns bigint columns as strings, so every read goes through these.

export type Db = Knex | Knex.Transaction;

export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

export function num(v: unknown, what: string): number {
  return toSafeNumber(v, what);
}

export function optNum(v: unknown, what: string): number | null {
  return v === null || v === undefined ? null : toSafeNumber(v, what);
}

export function optStr(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function jsonObject(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string' || text === '') return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
