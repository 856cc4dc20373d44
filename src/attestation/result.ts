import type { JsonWebKey } from 'node:crypto';

/**
 * What every platform verifier returns: the same shape whatever the proof format, so policy,
 * issuers and the CLI never look at platform formats. Platform detail stays in `facts`.
 */
export type Platform = 'android' | 'apple';

/** Where the attested key lives, strongest last. */
export type SecurityLevel = 'software' | 'trusted-environment' | 'strongbox' | 'secure-enclave';

export type VerifiedBootState = 'verified' | 'self-signed' | 'unverified' | 'failed';

export interface AttestedPublicKey {
  /** EC, RSA, Ed25519, ML-DSA-65, … */
  algorithm: string;
  curve?: string;
  /** SubjectPublicKeyInfo DER, base64. */
  spki: string;
  /** False when this server cannot use keys of this type (e.g. ML-DSA on Node.js 20): verified and reported, but unusable for signatures. */
  supported: boolean;
  /** Absent when the key type has no JWK form this runtime can produce. */
  jwk?: JsonWebKey;
}

export interface BootState {
  locked: boolean;
  state: VerifiedBootState;
  /** Hex; the digest of the key that verified boot (all zeros on many unlocked devices). */
  verifiedBootKey: string;
  verifiedBootHash?: string;
}

export interface AppIdentity {
  /** Android package names or the Apple app id (TEAMID.bundleId). */
  ids: string[];
  /** Android signing-certificate SHA-256 digests, hex. */
  signerDigests: string[];
  /** Android versionCode of the (first) package. */
  version?: number;
}

export interface AttestationResult {
  platform: Platform;
  publicKey: AttestedPublicKey;
  securityLevel: SecurityLevel;
  /** Android: the attestation's and KeyMint's own levels; they may differ. */
  keyStoreSecurityLevel?: SecurityLevel;
  bootState?: BootState;
  /** "14.0.0" style. */
  osVersion?: string;
  /** "YYYY-MM". */
  osPatchLevel?: string;
  vendorPatchLevel?: string;
  bootPatchLevel?: string;
  app: AppIdentity;
  /** When the device says the key was created, epoch ms. */
  createdAt?: number;
  /** Apple assertion counter / sign count. */
  counter?: number;
  /** The trust anchor the chain ended in. */
  anchor: string;
  /** Platform-specific decoded facts (Android KeyDescription, App Attest receipt, …). */
  facts: Record<string, unknown>;
}
