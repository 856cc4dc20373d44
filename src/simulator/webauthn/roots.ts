import { assetPath, shippedAnchors } from '../../assets.js';
import type { TrustAnchor } from '../../crypto/x509/chain.js';
import { simulatorAnchors } from '../roots.js';

/** Attestation formats whose statements chain to a simulator test root. */
export type AnchoredFormat = 'packed' | 'tpm' | 'fido-u2f' | 'android-key' | 'apple';

/**
 * The WebAuthn simulator's published test roots per attestation format, as anchors named
 * "SIMULATOR …": trusted only when a deployment opts in (`trustSimulatorRoots`).
 */
export function webauthnSimulatorAnchors(): Record<AnchoredFormat, TrustAnchor[]> {
  const webauthn = shippedAnchors('simulator/webauthn-root.pem', 'SIMULATOR WebAuthn test root');
  return {
    packed: webauthn,
    tpm: webauthn,
    'fido-u2f': webauthn,
    'android-key': simulatorAnchors().android,
    apple: shippedAnchors('simulator/webauthn-apple-root.pem', 'SIMULATOR Apple WebAuthn test root'),
  };
}

/**
 * The folder of the simulated authenticators' metadata statements (one MDS3 metadataStatement
 * per file, naming the test roots): a local metadata folder for `trustSimulatorRoots` only.
 */
export const webauthnSimulatorMetadataFolder = (): string => assetPath('simulator/webauthn-metadata');
