import bcrypt from 'bcryptjs';

// Password hashing compatible with Synapse: bcrypt over NFKC(password) + pepper, so hashes imported from a
// Synapse database ($2b$) verify here and ours verify there. bcryptjs runs in JS and yields between rounds
// (the async API), so a login does not stall the event loop for the whole hash.

export interface PasswordSettings {
  rounds: number;
  pepper: string;
}

/** Synapse rejects longer passwords before hashing (bcrypt only reads 72 bytes anyway). */
export const MAX_PASSWORD_LENGTH = 512;

function prepare(password: string, pepper: string): string {
  return password.normalize('NFKC') + pepper;
}

export function hashPassword(password: string, s: PasswordSettings): Promise<string> {
  return bcrypt.hash(prepare(password, s.pepper), s.rounds);
}

export async function verifyPassword(password: string, hash: string, s: PasswordSettings): Promise<boolean> {
  // A malformed stored hash (e.g. from a foreign import) is a failed check, not a server error.
  try {
    return await bcrypt.compare(prepare(password, s.pepper), hash);
  } catch {
    return false;
  }
}
