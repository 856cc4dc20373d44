import { readAsset } from '../assets.js';
import { TrustAnchors, type TrustAnchor } from '../crypto/chain.js';

/** The simulators' published test roots as anchors: trusted only when a deployment opts in (`trustSimulatorRoots`). */
export function simulatorAnchors(): { android: TrustAnchor[]; apple: TrustAnchor[]; appleReceipts: TrustAnchor[] } {
  return {
    android: TrustAnchors.fromPem(readAsset('simulator/android-root.pem'), 'SIMULATOR Android test root'),
    apple: TrustAnchors.fromPem(readAsset('simulator/apple-attestation-root.pem'), 'SIMULATOR App Attestation test root'),
    appleReceipts: TrustAnchors.fromPem(readAsset('simulator/apple-receipt-root.pem'), 'SIMULATOR receipt test root'),
  };
}
