import { shippedAnchors } from '../assets.js';
import type { TrustAnchor } from '../crypto/x509/chain.js';

/** The simulators' published test roots as anchors: trusted only when a deployment opts in (`trustSimulatorRoots`). */
export function simulatorAnchors(): { android: TrustAnchor[]; apple: TrustAnchor[]; appleReceipts: TrustAnchor[] } {
  return {
    android: shippedAnchors('simulator/android-root.pem', 'SIMULATOR Android test root'),
    apple: shippedAnchors('simulator/apple-attestation-root.pem', 'SIMULATOR App Attestation test root'),
    appleReceipts: shippedAnchors('simulator/apple-receipt-root.pem', 'SIMULATOR receipt test root'),
  };
}

/** Whether a result's anchor (its name) is one of the simulator test roots. */
export const isSimulatorAnchor = (anchor: string): boolean => anchor.startsWith('SIMULATOR ');
