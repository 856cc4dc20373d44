import { timingSafeEqual } from 'node:crypto';
import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { assertChainLength } from '../../../crypto/x509/chain.js';
import { contentError, isKeywardError, trustError } from '../../../errors.js';
import { KEY_DESCRIPTION_OID, KEY_PURPOSE, type AndroidSecurityLevel } from '../../android/constants.js';
import {
  challengeBytes,
  parseKeyDescription,
  type AuthorizationList,
  type KeyDescription,
} from '../../android/key-description.js';
import type { AndroidPolicy } from '../../android/policy.js';
import type { AttestationResult } from '../../result.js';
import { COSE_ALGORITHMS, verifyWithAlgorithm } from '../cose-key.js';
import type { FormatInput, FormatResult, FormatVerifier } from '../types.js';

/**
 * The android-key attestation statement format (WebAuthn §8.4): the credential key is an
 * Android keystore key, and x5c is its key attestation chain. The statement's own checks are
 * made here; the chain, its root, revocation and — when fido2.androidPolicy is on — Keyward's
 * Android policy are the Android verifier's (FormatContext.android), with challenge = clientDataHash.
 */

/** An Android policy that requires nothing: the device and app checks stay off for WebAuthn unless fido2.androidPolicy is on. */
export const WEBAUTHN_ANDROID_POLICY: AndroidPolicy = {
  apps: [],
  requireStrongBox: false,
  requireLockedBootloader: false,
  allowedSelfSignedBootKeys: [],
  minOsVersion: 0,
  minPatchLevel: '',
  maxPatchAgeMonths: 0,
  // The only check AndroidPolicy cannot switch off; a patch level this far ahead is no real device's.
  maxPatchMonthsAhead: 1200,
  requireRkp: false,
  maxStatementAgeSeconds: 0,
  requireGeneratedKey: false,
};

const malformed = (detail: string) =>
  contentError('ANDROID_KEY_STATEMENT_MALFORMED', 'The android-key attestation statement is malformed.', { detail });

/** The keys of an android-key statement (WebAuthn §8.4's syntax). */
const STATEMENT_KEYS = new Set(['alg', 'sig', 'x5c']);

const SECURITY_LEVEL: Record<AndroidSecurityLevel, string> = {
  SOFTWARE: 'software',
  TRUSTED_ENVIRONMENT: 'trusted-environment',
  STRONG_BOX: 'strongbox',
};

export const androidKeyFormat: FormatVerifier = {
  fmt: 'android-key',
  async verify(input: FormatInput, context): Promise<FormatResult> {
    const { attStmt, authData, clientDataHash } = input;
    for (const key of attStmt.keys())
      if (typeof key !== 'string' || !STATEMENT_KEYS.has(key)) throw malformed(`unexpected attStmt key ${String(key)}`);
    const alg = attStmt.get('alg');
    if (typeof alg !== 'number' || !Number.isInteger(alg)) throw malformed('alg is not an integer');
    if (!COSE_ALGORITHMS.has(alg)) {
      throw contentError(
        'ANDROID_KEY_ALGORITHM_UNSUPPORTED',
        'The android-key statement uses an unsupported algorithm.',
        {
          detail: `alg ${alg}`,
        },
      );
    }
    const sig = attStmt.get('sig');
    if (!(sig instanceof Uint8Array)) throw malformed('sig is not a byte string');
    const x5c = attStmt.get('x5c');
    if (!Array.isArray(x5c)) throw malformed('x5c is not an array');
    assertChainLength(x5c.length, context.maxChainLength);
    if (!x5c.every((der) => der instanceof Uint8Array)) throw malformed('x5c holds an item that is not a byte string');
    const ders = x5c as Uint8Array[];
    const chain = ders.map((der, index) => parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: index > 0 }));
    const leaf = chain[0]!;

    // The leaf certifies the credential key, and that key signed authenticatorData ‖ clientDataHash.
    const credential = authData.attested.publicKey;
    if (!leaf.publicKey().equals(credential.key)) {
      throw trustError('ANDROID_KEY_PUBLIC_KEY_MISMATCH', 'The attested key is not the credential key.', {
        detail: `leaf ${leaf.keyAlgorithm} key differs from the credential key (alg ${credential.alg})`,
      });
    }
    const signed = Buffer.concat([authData.raw, clientDataHash]);
    if (!verifyWithAlgorithm(alg, leaf.publicKey(), signed, sig)) {
      throw trustError('ANDROID_KEY_SIGNATURE_INVALID', 'The android-key attestation signature is invalid.', {
        detail: `sig does not verify with alg ${alg}`,
      });
    }

    const record = leafRecord(leaf);
    checkRecord(record, clientDataHash);

    if (!context.android) return { attestationType: 'basic', trustPath: chain, facts: recordFacts(record) };
    let android: AttestationResult;
    try {
      android = await context.android(ders, clientDataHash, input.at);
    } catch (error) {
      // A chain to a root the Android verifier does not know (the FIDO conformance FAKE root, a
      // vendor's own): the common trust step tries metadata and configured roots.
      if (isKeywardError(error) && error.code === 'UNTRUSTED_ROOT') {
        return { attestationType: 'basic', trustPath: chain, facts: recordFacts(record) };
      }
      throw error;
    }
    return { attestationType: 'basic', trustPath: chain, trustedBy: android.anchor, facts: androidFacts(android) };
  },
};

function leafRecord(leaf: ParsedCertificate): KeyDescription {
  const extension = leaf.extension(KEY_DESCRIPTION_OID);
  if (!extension) {
    throw contentError('ANDROID_KEY_RECORD_MISSING', 'The attestation certificate carries no key attestation record.', {
      detail: `leaf ${leaf.subject} has no ${KEY_DESCRIPTION_OID} extension`,
    });
  }
  return parseKeyDescription(extension.value);
}

/**
 * §8.4's checks on the key attestation record: made for this registration, scoped to one app
 * (no allApplications in either list), generated in the keystore, a signing key. The origin and
 * purpose are read from the hardware-enforced list; from the software-enforced list only for a
 * key the record says is a software key (whether such keys are acceptable at all is the chain's
 * verdict: Google's software roots are trusted only with android.allowSoftwareAttestation).
 */
export function checkRecord(record: KeyDescription, clientDataHash: Uint8Array): void {
  const challenge = challengeBytes(record);
  if (challenge.length !== clientDataHash.length || !timingSafeEqual(challenge, clientDataHash)) {
    throw trustError('ANDROID_KEY_CHALLENGE_MISMATCH', 'The key was attested for another registration.', {
      detail: 'attestationChallenge is not clientDataHash',
    });
  }
  if (record.hardwareEnforced.allApplications !== undefined || record.softwareEnforced.allApplications !== undefined) {
    throw trustError('ANDROID_KEY_ALL_APPLICATIONS', 'The attested key is not scoped to this relying party.', {
      detail: 'allApplications is present',
    });
  }
  const software = record.attestationSecurityLevel === 'SOFTWARE';
  const enforced = <K extends keyof AuthorizationList>(key: K): AuthorizationList[K] =>
    record.hardwareEnforced[key] ?? (software ? record.softwareEnforced[key] : undefined);
  const origin = enforced('origin');
  if (origin !== 'GENERATED') {
    throw trustError('ANDROID_KEY_ORIGIN_NOT_GENERATED', 'The attested key was not generated in the keystore.', {
      detail: `origin ${origin ?? 'absent'}${software ? '' : ' in teeEnforced'}`,
    });
  }
  const purposes = enforced('purposes');
  if (!Array.isArray(purposes) || purposes.length !== 1 || purposes[0] !== KEY_PURPOSE.SIGN) {
    throw trustError('ANDROID_KEY_PURPOSE_NOT_SIGN', 'The attested key is not a signing key.', {
      detail: `purposes ${JSON.stringify(purposes ?? null)}${software ? '' : ' in teeEnforced'}`,
    });
  }
}

/** What the record claims, for a chain the Android verifier did not vouch for. */
const recordFacts = (record: KeyDescription): Record<string, unknown> => ({
  securityLevel: SECURITY_LEVEL[record.attestationSecurityLevel],
  keyStoreSecurityLevel: SECURITY_LEVEL[record.keyMintSecurityLevel],
  attestationVersion: record.attestationVersion,
});

/** The Android verifier's result, as far as a WebAuthn credential record needs it. */
function androidFacts(result: AttestationResult): Record<string, unknown> {
  const facts: Record<string, unknown> = { securityLevel: result.securityLevel };
  if (result.keyStoreSecurityLevel) facts.keyStoreSecurityLevel = result.keyStoreSecurityLevel;
  if (result.osVersion) facts.osVersion = result.osVersion;
  if (result.osPatchLevel) facts.osPatchLevel = result.osPatchLevel;
  if (result.vendorPatchLevel) facts.vendorPatchLevel = result.vendorPatchLevel;
  if (result.bootPatchLevel) facts.bootPatchLevel = result.bootPatchLevel;
  if (result.bootState) facts.bootState = { locked: result.bootState.locked, state: result.bootState.state };
  if (result.app.ids.length > 0) facts.app = result.app;
  const rkp = result.facts.rkp;
  if (typeof rkp === 'boolean') facts.rkp = rkp;
  return facts;
}
