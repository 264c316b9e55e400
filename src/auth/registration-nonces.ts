import { randomBytes } from 'node:crypto';

// Nonces for shared-secret registration (Synapse's /_synapse/admin/v1/register): single use, valid 60 s,
// held in memory like Synapse does (a restart simply invalidates outstanding ones). Bounded so an
// unauthenticated client asking for nonces in a loop cannot grow memory without limit.

const NONCE_TTL_MS = 60_000;
const MAX_NONCES = 10_000;

export class RegistrationNonces {
  private readonly nonces = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  create(): string {
    const now = this.now();
    for (const [n, ts] of this.nonces) {
      if (now - ts <= NONCE_TTL_MS && this.nonces.size < MAX_NONCES) break;
      this.nonces.delete(n);
    }
    const nonce = randomBytes(32).toString('hex');
    this.nonces.set(nonce, now);
    return nonce;
  }

  /** True once per issued, unexpired nonce. */
  consume(nonce: string): boolean {
    const ts = this.nonces.get(nonce);
    if (ts === undefined) return false;
    this.nonces.delete(nonce);
    return this.now() - ts <= NONCE_TTL_MS;
  }
}
