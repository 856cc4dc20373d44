import type { Command } from 'commander';
import { registerAndroidVerify } from './verify-android.js';
import { registerAppleVerify } from './verify-apple.js';
import { registerMdocVerify } from './verify-mdoc.js';
import { registerMdvmVerify } from './verify-mdvm.js';
import { registerWebAuthnVerify } from './verify-webauthn.js';

/** `keyward verify <format> …`: offline verification; JSON out; exit 0 verified, 1 rejected, 2 usage error. */
export function registerVerify(program: Command): void {
  const verify = program.command('verify').description('verify an attestation offline and print the verdict as JSON');
  registerAndroidVerify(verify);
  registerAppleVerify(verify);
  registerMdocVerify(verify);
  registerMdvmVerify(verify);
  registerWebAuthnVerify(verify);
}
