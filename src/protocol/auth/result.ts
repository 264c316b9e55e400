export type AuthResult = { allowed: true } | { allowed: false; reason: string };

export const ALLOW: AuthResult = Object.freeze({ allowed: true });

export function deny(reason: string): AuthResult {
  return { allowed: false, reason };
}
