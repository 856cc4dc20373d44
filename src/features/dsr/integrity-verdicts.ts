import type { IntegrityNonceSuffix } from '../../attestation/dsr/nonce-derivations.js';
import {
  normalizeIntegrityVerdict,
  type PlayIntegrityKeys,
  verifyIntegrityVerdict,
} from '../../attestation/dsr/play-integrity.js';

/** What a device token carries of a Play Integrity verdict: the verified payload, or the token as reported. */
export type CarriedVerdict = (Record<string, unknown> & { verified: true }) | { verified: false; token: string };

/**
 * Play Integrity verdicts of Android DSR tokens. With the app's response keys configured
 * ("manage responses yourself") a verdict is decrypted and verified locally — nonce derivation,
 * package and age — and a failure refuses the request; without keys it cannot be read, so it is
 * carried as reported and marked `verified: false`, and policies can tell the two apart.
 */
export class IntegrityVerdicts {
  constructor(
    private readonly keys: readonly PlayIntegrityKeys[],
    private readonly maxAgeMs: number,
  ) {}

  get verifying(): boolean {
    return this.keys.length > 0;
  }

  async check(
    token: string,
    expected: { nonce: Uint8Array; suffix: IntegrityNonceSuffix; packageName: string; at: number },
  ): Promise<CarriedVerdict> {
    if (this.keys.length === 0) return { verified: false, token };
    const payload = await verifyIntegrityVerdict(token, this.keys, { ...expected, maxAgeMs: this.maxAgeMs });
    // Google's int64 strings as numbers, as the reference GMS's typed records write them (and the policies compare).
    return { ...normalizeIntegrityVerdict(payload), verified: true };
  }
}
