import type { KeyObject } from 'node:crypto';
import type { ParsedCertificate } from '../../crypto/x509/certificate.js';
import type { TrustAnchors } from '../../crypto/x509/chain.js';
import type { AttestationResult } from '../result.js';

/**
 * The shapes shared by WebAuthn's parsers, format verifiers, metadata and ceremonies
 * (docs/protocols/webauthn.md). Nothing here knows HTTP, configuration or the store.
 */

/** WebAuthn attestation types (WebAuthn §6.5.4); `anonca` is Apple's anonymization CA. */
export type AttestationType = 'none' | 'self' | 'basic' | 'attca' | 'anonca';

/** How far attestation decides acceptance (fido2.attestationMode). */
export type AttestationMode = 'disabled' | 'monitor' | 'enforced';

/**
 * What vouches for the attestation: `root` a shipped or configured root of the format, `metadata`
 * a root from the authenticator's metadata statement, `none` nothing (self, none, or an untrusted
 * chain accepted in monitor mode).
 */
export type AttestationTrust = 'root' | 'metadata' | 'none';

/** Authenticator data flags (WebAuthn §6.1). */
export const FLAGS = {
  UP: 0x01,
  UV: 0x04,
  BE: 0x08,
  BS: 0x10,
  AT: 0x40,
  ED: 0x80,
} as const;

export interface AuthenticatorData {
  /** The bytes as received (signatures are over them). */
  raw: Uint8Array;
  rpIdHash: Uint8Array;
  flags: number;
  counter: number;
  /** Present when the AT flag is set. */
  attested?: AttestedCredential;
  /** Decoded extension outputs, present when the ED flag is set. */
  extensions?: Map<unknown, unknown>;
}

export interface AttestedCredential {
  /** 16 bytes. */
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The COSE_Key as the CBOR bytes received. */
  publicKeyBytes: Uint8Array;
  publicKey: CoseKey;
}

/** A decoded COSE_Key (RFC 9052/9053) ready for signature checks. */
export interface CoseKey {
  /** COSE algorithm identifier (-7 ES256, -257 RS256, -8 EdDSA, …). */
  alg: number;
  /** 1 OKP, 2 EC2, 3 RSA. */
  kty: number;
  /** EC2/OKP curve identifier. */
  crv?: number;
  key: KeyObject;
  /** SubjectPublicKeyInfo DER of `key`. */
  spki: Buffer;
}

/** The decoded attestation object {fmt, attStmt, authData}. */
export interface AttestationObject {
  fmt: string;
  attStmt: Map<unknown, unknown>;
  authData: AuthenticatorData;
}

/** What a format verifier receives: the attestation statement and what it signs. */
export interface FormatInput {
  attStmt: Map<unknown, unknown>;
  authData: AuthenticatorData & { attested: AttestedCredential };
  clientDataHash: Uint8Array;
  /** Verification time, epoch ms. */
  at: number;
}

/**
 * What a format verifier returns once the statement itself is valid (its signature, its
 * certificate requirements): the attestation type and the trust path to check against roots.
 * Formats whose trust the format itself settles (android-key through Keyward's Android verifier)
 * return `trustedBy`: the anchor name, and `android` the Android result for the record.
 */
export interface FormatResult {
  attestationType: AttestationType;
  /** x5c as sent, leaf first; empty for self and none. */
  trustPath: ParsedCertificate[];
  /** Set when the format verified the path to one of its roots itself. */
  trustedBy?: string;
  /** Facts worth recording (android-key: the Android result; safetynet: ctsProfileMatch, timestampMs; tpm: tpm vendor, …). */
  facts?: Record<string, unknown>;
  /** Non-fatal observations (e.g. the Chrome virtual authenticator's broken packed statement). */
  warnings?: string[];
}

/** One attestation statement format (packed, tpm, android-key, …). */
export interface FormatVerifier {
  readonly fmt: string;
  verify(input: FormatInput, context: FormatContext): Promise<FormatResult> | FormatResult;
}

/** What formats may need from their surroundings. */
export interface FormatContext {
  /** Roots shipped or configured for `fmt` (Apple WebAuthn Root CA for apple, …); empty when none. */
  rootsFor(fmt: string): TrustAnchors;
  /** android-key: verifies a key attestation chain with challenge = clientDataHash (Keyward's Android verifier). */
  android?: (chain: readonly Uint8Array[], challenge: Uint8Array, at: number) => Promise<AttestationResult>;
  /** android-safetynet: refuse when ctsProfileMatch is false (default true). */
  requireCtsProfileMatch: boolean;
  /** android-safetynet: how old (or how far ahead) the response's timestampMs may be, ms. */
  safetynetMaxAgeMs: number;
  maxChainLength: number;
}

/** A metadata status report (MDS3 StatusReport), as far as decisions need it. */
export interface StatusReport {
  status: string;
  /** YYYY-MM-DD; absent means effective since ever. */
  effectiveDate?: string;
  /** Base64 DER of the attestation certificate the report concerns (ATTESTATION_KEY_COMPROMISE). */
  certificate?: string;
  url?: string;
  certificationLevel?: string;
}

/** One authenticator's metadata, from the MDS BLOB or the local metadata folder. */
export interface MetadataEntry {
  aaguid?: string;
  /** Hex SHA-1 key identifiers (U2F). */
  attestationCertificateKeyIdentifiers?: string[];
  description: string;
  /** Base64 DER root certificates from the statement. */
  attestationRootCertificates: string[];
  attestationTypes: string[];
  statusReports: StatusReport[];
  /** Where it came from: `mds` (the BLOB, with its `no`) or `local` (a file name). */
  source: string;
  /** The whole metadata statement, for display and for the console. */
  statement: Record<string, unknown>;
}

/** Looks authenticators up in the metadata Keyward currently trusts. */
export interface MetadataLookup {
  byAaguid(aaguid: string): MetadataEntry | undefined;
  /** `keyIds`: hex SHA-1 of an attestation certificate's subjectPublicKey bits. */
  byKeyIdentifier(keyId: string): MetadataEntry | undefined;
}

/** Which metadata statuses refuse an authenticator (fido2.mds.refuseStatuses, fido2.mds.minCertificationLevel). */
export interface StatusPolicy {
  refuse: readonly string[];
  /** E.g. FIDO_CERTIFIED_L1; empty means no minimum. */
  minCertificationLevel: string;
}

export interface RegistrationExpectations {
  /** The challenge as issued (raw bytes). */
  challenge: Uint8Array;
  origins: readonly string[];
  rpId: string;
  requireUserVerification: boolean;
  /** Require UP (always, except for conformance "none" flows that allow it off). */
  requireUserPresence: boolean;
  /** COSE algorithms the server offered. */
  algorithms: readonly number[];
}

export interface WebAuthnRegistrationInput {
  /** base64url credential id from the response. */
  id: string;
  clientDataJSON: Uint8Array;
  attestationObject: Uint8Array;
  transports?: string[];
}

/** Keyward's normalized WebAuthn registration result. */
export interface WebAuthnRegistrationResult {
  fmt: string;
  attestationType: AttestationType;
  trust: AttestationTrust;
  /** The anchor the trust path ended in, when trust is not none. */
  anchor?: string;
  /** Dashed lower-case UUID; all zeros for U2F and none. */
  aaguid: string;
  credentialId: Uint8Array;
  publicKey: CoseKey;
  /** The COSE_Key as received: what the relying party stores for later assertions. */
  publicKeyBytes: Uint8Array;
  counter: number;
  flags: number;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  /** The trust path as base64 DER, leaf first. */
  trustPath: string[];
  metadata: {
    found: boolean;
    description?: string;
    /** Status reports in effect at verification time, latest last. */
    statuses: string[];
    source?: string;
  };
  facts: Record<string, unknown>;
  warnings: string[];
}
