import { readAsset, shippedAnchors } from '../assets.js';
import { type PlayIntegrityKeys, parsePlayIntegrityKeys } from '../attestation/dsr/play-integrity.js';
import type { TrustAnchor } from '../crypto/x509/chain.js';

/** The simulators' published test roots as anchors: trusted only when a deployment opts in (`trustSimulatorRoots`). */
export function simulatorAnchors(): {
  android: TrustAnchor[];
  apple: TrustAnchor[];
  appleReceipts: TrustAnchor[];
  /** The simulated health cards' CA (brainpoolP256r1), a DSR card CA. */
  dsrCards: TrustAnchor[];
} {
  return {
    android: shippedAnchors('simulator/android-root.pem', 'SIMULATOR Android test root'),
    apple: shippedAnchors('simulator/apple-attestation-root.pem', 'SIMULATOR App Attestation test root'),
    appleReceipts: shippedAnchors('simulator/apple-receipt-root.pem', 'SIMULATOR receipt test root'),
    dsrCards: shippedAnchors('simulator/dsr-card-ca.pem', 'SIMULATOR eGK card test CA'),
  };
}

/** The published Play Integrity key file of the simulated DSR Android app (assets/simulator/dsr-play-integrity.json). */
export interface SimulatorPlayIntegrityFile {
  decryptionKey: string;
  verificationKey: string;
  /** PKCS#8 PEM of the verdict signing key (the simulator's stand-in for Google's). */
  signingKey: string;
}

let playIntegrityFile: SimulatorPlayIntegrityFile | undefined;

export function simulatorPlayIntegrityFile(): SimulatorPlayIntegrityFile {
  playIntegrityFile ??= JSON.parse(readAsset('simulator/dsr-play-integrity.json')) as SimulatorPlayIntegrityFile;
  return playIntegrityFile;
}

/**
 * The simulated app's Play Integrity response keys, as a deployment would configure its own from
 * the Play Console: trusted only when a deployment opts in (`trustSimulatorRoots`).
 */
export function simulatorPlayIntegrityKeys(): PlayIntegrityKeys {
  const file = simulatorPlayIntegrityFile();
  return parsePlayIntegrityKeys(file.decryptionKey, file.verificationKey);
}

/** Whether a result's anchor (its name) is one of the simulator test roots. */
export const isSimulatorAnchor = (anchor: string): boolean => anchor.startsWith('SIMULATOR ');
