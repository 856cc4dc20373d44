import { createHash } from 'node:crypto';
import * as der from '../../crypto/asn1/der-writer.js';
import { SIMULATOR_PACKAGE } from '../defaults.js';
import {
  KEY_PURPOSE,
  SECURITY_LEVELS,
  VERIFIED_BOOT_STATES,
  type AndroidBootState,
  type AndroidSecurityLevel,
} from '../../attestation/android/constants.js';

/** What a simulated device puts into its KeyDescription; unset fields get a realistic default. */
export interface SimulatedRecord {
  challenge: Uint8Array;
  attestationVersion?: number;
  /** KeyPurpose values (default SIGN; an attest key's record defaults to ATTEST_KEY alone). */
  purposes?: number[];
  securityLevel?: AndroidSecurityLevel;
  packageName?: string;
  packageVersion?: number;
  /** SHA-256 digests of the app's signing certificates. */
  signerDigests?: Uint8Array[];
  osVersion?: number;
  /** YYYYMM */
  osPatchLevel?: number;
  /** YYYYMMDD */
  vendorPatchLevel?: number;
  bootPatchLevel?: number;
  deviceLocked?: boolean;
  verifiedBootState?: AndroidBootState;
  verifiedBootKey?: Uint8Array;
  /** 0 GENERATED, 2 IMPORTED, … */
  origin?: number;
  creationDateTime?: number;
  /** Extra hardware-enforced tags as raw DER of their EXPLICIT content (e.g. 721 identityCredentialKey → NULL). */
  extraHardwareTags?: Record<number, Uint8Array>;
  /**
   * List identityCredentialKey (tag 721) as hardware-enforced, as the Identity Credential HAL does
   * for a CredentialKey (default false).
   */
  identityCredentialKey?: boolean;
  /** The key's algorithm as KeyMint states it (3 EC, 1 RSA) and size. */
  keyAlgorithm?: { algorithm: number; keySize: number; ecCurve?: number };
  brand?: string;
  model?: string;
  device?: string;
  product?: string;
  manufacturer?: string;
}

/** KeyMint tag IDENTITY_CREDENTIAL_KEY: the key is an Identity Credential CredentialKey. */
const IDENTITY_CREDENTIAL_KEY_TAG = 721;

export const SIMULATED_SIGNER_DIGEST = createHash('sha256').update('keyward simulated app signer').digest();

const yyyymm = (epochMs: number) => {
  const date = new Date(epochMs);
  return date.getUTCFullYear() * 100 + date.getUTCMonth() + 1;
};

/** Builds the KeyDescription DER (attestation extension value) a KeyMint 300 TEE would emit for `record`. */
export function encodeKeyDescription(record: SimulatedRecord, at: number): Buffer {
  const level = SECURITY_LEVELS.indexOf(record.securityLevel ?? 'TRUSTED_ENVIRONMENT');
  const tag = (number: number, content: Uint8Array) => ({ number, bytes: der.explicit(number, content) });
  const patch = record.osPatchLevel ?? yyyymm(at);
  const key = record.keyAlgorithm ?? { algorithm: 3, keySize: 256, ecCurve: 1 };

  const applicationId = der.sequence(
    der.setOf(
      der.sequence(
        der.octetString(Buffer.from(record.packageName ?? SIMULATOR_PACKAGE)),
        der.integer(record.packageVersion ?? 1),
      ),
    ),
    der.setOf(...(record.signerDigests ?? [SIMULATED_SIGNER_DIGEST]).map((digest) => der.octetString(digest))),
  );
  const software = [tag(701, der.integer(record.creationDateTime ?? at)), tag(709, der.octetString(applicationId))];

  const rootOfTrust = der.sequence(
    der.octetString(record.verifiedBootKey ?? createHash('sha256').update('keyward simulated boot key').digest()),
    der.boolean(record.deviceLocked ?? true),
    der.enumerated(VERIFIED_BOOT_STATES.indexOf(record.verifiedBootState ?? 'VERIFIED')),
    der.octetString(createHash('sha256').update('keyward simulated boot image').digest()),
  );
  const text = (value: string | undefined) => (value === undefined ? undefined : der.octetString(Buffer.from(value)));
  const hardware = [
    tag(1, der.setOf(...(record.purposes ?? [KEY_PURPOSE.SIGN]).map((purpose) => der.integer(purpose)))),
    tag(2, der.integer(key.algorithm)),
    tag(3, der.integer(key.keySize)),
    tag(5, der.setOf(der.integer(4))),
    ...(key.ecCurve !== undefined ? [tag(10, der.integer(key.ecCurve))] : []),
    tag(503, der.nullValue()),
    tag(702, der.integer(record.origin ?? 0)),
    tag(704, rootOfTrust),
    tag(705, der.integer(record.osVersion ?? 150000)),
    tag(706, der.integer(patch)),
    ...[
      [710, text(record.brand)],
      [711, text(record.device)],
      [712, text(record.product)],
      [716, text(record.manufacturer)],
      [717, text(record.model)],
    ].flatMap(([number, value]) => (value ? [tag(number as number, value as Buffer)] : [])),
    tag(718, der.integer(record.vendorPatchLevel ?? patch * 100 + 5)),
    tag(719, der.integer(record.bootPatchLevel ?? patch * 100 + 5)),
    ...(record.identityCredentialKey && record.extraHardwareTags?.[IDENTITY_CREDENTIAL_KEY_TAG] === undefined
      ? [tag(IDENTITY_CREDENTIAL_KEY_TAG, der.nullValue())]
      : []),
    ...Object.entries(record.extraHardwareTags ?? {}).map(([number, content]) => tag(Number(number), content)),
  ].sort((a, b) => a.number - b.number);

  return der.sequence(
    der.integer(record.attestationVersion ?? 300),
    der.enumerated(level),
    der.integer(record.attestationVersion ?? 300),
    der.enumerated(level),
    der.octetString(record.challenge),
    der.octetString(Buffer.alloc(0)),
    der.sequence(...software.map((entry) => entry.bytes)),
    der.sequence(...hardware.map((entry) => entry.bytes)),
  );
}
