import type { RegistrationTokenRecord, UiaSessionRecord } from '../interfaces/index.js';
import { jsonObject, num, optNum, type Db } from './account-rows.js';

// User-interactive auth sessions and registration tokens.

export async function createUiaSession(db: Db, s: Omit<UiaSessionRecord, 'completed'>): Promise<void> {
  await db('ui_auth_sessions').insert({
    session_id: s.sessionId,
    created_ts: s.createdTs,
    operation: s.operation,
    client_params: JSON.stringify(s.clientParams),
    server_data: JSON.stringify(s.serverData),
  });
}

export async function getUiaSession(db: Db, sessionId: string): Promise<UiaSessionRecord | null> {
  const row: Record<string, unknown> | undefined = await db('ui_auth_sessions').where({ session_id: sessionId }).first();
  if (!row) return null;
  const stages: Array<{ stage_type: string; result: string }> = await db('ui_auth_session_stages')
    .select('stage_type', 'result')
    .where({ session_id: sessionId });
  const completed: Record<string, unknown> = {};
  for (const s of stages) completed[s.stage_type] = JSON.parse(s.result) as unknown;
  return {
    sessionId,
    createdTs: num(row.created_ts, 'created_ts'),
    operation: String(row.operation),
    clientParams: jsonObject(row.client_params),
    serverData: jsonObject(row.server_data),
    completed,
  };
}

export async function deleteUiaSessionsBefore(db: Db, cutoffTs: number): Promise<number> {
  const old: Array<{ session_id: string }> = await db('ui_auth_sessions').select('session_id').where('created_ts', '<', cutoffTs);
  const ids = old.map((r) => r.session_id);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db('ui_auth_session_stages').whereIn('session_id', chunk).delete();
    await db('ui_auth_sessions').whereIn('session_id', chunk).delete();
  }
  return ids.length;
}

function tokenFromRow(row: Record<string, unknown>): RegistrationTokenRecord {
  return {
    token: String(row.token),
    usesAllowed: optNum(row.uses_allowed, 'uses_allowed'),
    pending: num(row.pending, 'pending'),
    completed: num(row.completed, 'completed'),
    expiryTime: optNum(row.expiry_time, 'expiry_time'),
  };
}

export async function getRegistrationToken(db: Db, token: string): Promise<RegistrationTokenRecord | null> {
  const row: Record<string, unknown> | undefined = await db('registration_tokens').where({ token }).first();
  return row ? tokenFromRow(row) : null;
}

export async function listRegistrationTokens(db: Db): Promise<RegistrationTokenRecord[]> {
  const rows: Array<Record<string, unknown>> = await db('registration_tokens').select('*').orderBy('token');
  return rows.map(tokenFromRow);
}

export async function reserveRegistrationToken(db: Db, token: string, now: number): Promise<boolean> {
  // One conditional UPDATE, so two sessions racing for the last use cannot both get it.
  const changed = await db('registration_tokens')
    .where({ token })
    .andWhere((q) => q.whereNull('expiry_time').orWhere('expiry_time', '>', now))
    .andWhere((q) => q.whereNull('uses_allowed').orWhereRaw('?? + ?? < ??', ['pending', 'completed', 'uses_allowed']))
    .increment('pending', 1);
  return changed === 1;
}

export async function completeRegistrationToken(db: Db, token: string): Promise<void> {
  await db('registration_tokens')
    .where({ token })
    .update({ pending: db.raw('CASE WHEN ?? > 0 THEN ?? - 1 ELSE 0 END', ['pending', 'pending']), completed: db.raw('?? + 1', ['completed']) });
}
