import type { AndroidPolicy } from '../../attestation/android/policy.js';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import type { AppleVerifier } from '../../attestation/apple/verify.js';
import { verifyAndroidRegistration } from '../../attestation/dsr/android-registration.js';
import { type CardTrust, type CardTrustPath, verifyCardToken } from '../../attestation/dsr/health-card.js';
import { verifyIosRegistration } from '../../attestation/dsr/ios-registration.js';
import { NONCE_SUFFIXES } from '../../attestation/dsr/nonce-derivations.js';
import {
  checkRegistrationClaims,
  type DsrMasterData,
  readRegistrationClaims,
  type RegistrationClaims,
} from '../../attestation/dsr/registration-claims.js';
import { PROTOCOL_PURPOSES } from '../../challenges/purposes.js';
import type { ChallengeService } from '../../challenges/challenge-service.js';
import type { IssuedCertificate } from '../../crypto/x509/issuing-ca.js';
import { contentError, trustError } from '../../errors.js';
import type { AppAttestKeyRecord } from '../../attestation/apple/stored-keys.js';
import type { DsrRegistration, DsrRegistrationStore } from '../../store/dsr-store.js';
import { checkRegistrationCsr } from './device-ca/csr-checks.js';
import type { DeviceCa } from './device-ca/device-ca.js';
import type { IntegrityVerdicts } from './integrity-verdicts.js';

export interface RegistrationDependencies {
  challenges: ChallengeService;
  cardTrust: CardTrust;
  masterData: DsrMasterData;
  android: { verifier: AndroidVerifier; policy: AndroidPolicy };
  /** Absent when the master data names no iOS app: iOS registrations are then refused. */
  apple: AppleVerifier | undefined;
  integrity: IntegrityVerdicts;
  deviceCa: DeviceCa;
  registrations: DsrRegistrationStore;
  window: { maxAgeMs: number; skewMs: number };
}

export interface RegisteredDevice {
  certificate: IssuedCertificate;
  registration: DsrRegistration;
  card: CardTrustPath;
  /** Trust anchors the platform attestation ended in (for the simulator-root warning). */
  anchors: string[];
}

interface PlatformOutcome {
  fields: Pick<DsrRegistration, 'attestKeySpki' | 'appAttestKeyId'>;
  facts: Record<string, unknown>;
  appAttestKey?: AppAttestKeyRecord;
  anchors: string[];
}

/**
 * RFC-01 (POST /dsr/register-device), in order: the health card's signature and certificate →
 * the claims, their iat window and SDK version → the nonce is one this server issued and has not
 * been used → the CSR (signature, sub, challengePassword) → the platform attestation → the nonce
 * consumed (atomically: of two concurrent registrations with one nonce only one passes) → the
 * client certificate issued → the registration stored with its App Attest key in one transaction.
 */
export async function registerDevice(
  dependencies: RegistrationDependencies,
  token: string,
  at: number,
): Promise<RegisteredDevice> {
  const { challenges } = dependencies;
  const card = verifyCardToken(token, dependencies.cardTrust, at);
  const claims = readRegistrationClaims(card.claims);
  checkRegistrationClaims(claims, { now: at, masterData: dependencies.masterData, ...dependencies.window });
  await challenges.check(PROTOCOL_PURPOSES.dsr, claims.nonce);
  const csr = checkRegistrationCsr({ csr: claims.csr.toString('base64'), sub: claims.subText, nonce: claims.nonce });
  const platform = await verifyPlatform(dependencies, claims, csr.spki, at);
  await challenges.consume(PROTOCOL_PURPOSES.dsr, claims.nonce);

  const certificate = dependencies.deviceCa.issueDeviceCertificate({ spki: csr.spki, sub: claims.subText, at });
  const registration: DsrRegistration = {
    sub: claims.subText,
    userId: card.userId,
    platform: claims.platform,
    certificateSerial: certificate.serial,
    certificateNotAfter: certificate.notAfter,
    ...platform.fields,
    facts: { ...platform.facts, sdkVersion: claims.sdkVersion, card: card.trustedBy },
    createdAt: at,
    updatedAt: at,
  };
  const outcome = await dependencies.registrations.register(registration, platform.appAttestKey);
  if (outcome === 'conflict')
    throw contentError('DSR_REGISTRATION_CONFLICT', 'This device key is already registered.', {
      status: 409,
      detail: `sub ${claims.subText}${platform.appAttestKey ? ` or App Attest key ${platform.appAttestKey.keyId}` : ''} is registered elsewhere`,
    });
  return { certificate, registration, card: card.trustedBy, anchors: platform.anchors };
}

/** The token's packageName is an app the key attestation names (DSR_PACKAGE_MISMATCH). */
export function assertAttestedPackage(packageName: string, attested: readonly string[]): void {
  if (!attested.includes(packageName))
    throw trustError('DSR_PACKAGE_MISMATCH', 'The packageName claim is not the attested app.', {
      detail: `packageName ${JSON.stringify(packageName.slice(0, 100))}, attested ${attested.join(', ')}`,
    });
}

async function verifyPlatform(
  dependencies: RegistrationDependencies,
  claims: RegistrationClaims,
  csrSpki: Uint8Array,
  at: number,
): Promise<PlatformOutcome> {
  if (claims.platform === 'android') {
    const { verifier, policy } = dependencies.android;
    const result = await verifyAndroidRegistration(verifier, { claims, csrSpki, at, policy });
    assertAttestedPackage(claims.packageName, result.facts.app.ids);
    const integrity = await dependencies.integrity.check(claims.integrityVerdict, {
      nonce: claims.nonce,
      suffix: NONCE_SUFFIXES.integrity,
      packageName: claims.packageName,
      at,
    });
    return {
      fields: { attestKeySpki: result.attestKeySpki.toString('base64') },
      facts: { ...result.facts, integrityVerified: integrity.verified },
      anchors: [result.mtlsAttestation.anchor, result.attestKeyAttestation.anchor],
    };
  }
  if (!dependencies.apple)
    throw contentError('DSR_CLAIM_PLATFORM_UNSUPPORTED', 'This server registers no iOS apps.', {
      detail: 'the master data lists no availableAppIds',
    });
  const result = await verifyIosRegistration(dependencies.apple, { claims, csrSpki, at });
  return {
    fields: { appAttestKeyId: result.keyId },
    facts: { ...result.facts },
    appAttestKey: result.appAttestKey,
    anchors: [result.facts.anchor],
  };
}
