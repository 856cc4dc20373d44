import type { AndroidPolicy } from '../../attestation/android/policy.js';
import type { AndroidVerifier } from '../../attestation/android/verify.js';
import type { AppAttestKeyStore } from '../../attestation/apple/stored-keys.js';
import { verifyAndroidDeviceAttestation } from '../../attestation/dsr/android-device-attestation.js';
import {
  type AttestationClaims,
  checkAttestationClaims,
  readAttestationClaims,
} from '../../attestation/dsr/attestation-claims.js';
import { verifyIosDeviceAttestation } from '../../attestation/dsr/ios-device-attestation.js';
import { NONCE_SUFFIXES } from '../../attestation/dsr/nonce-derivations.js';
import type { DsrMasterData } from '../../attestation/dsr/registration-claims.js';
import type { AttestationResult } from '../../attestation/result.js';
import type { ChallengeService } from '../../challenges/challenge-service.js';
import { PROTOCOL_PURPOSES } from '../../challenges/purposes.js';
import { decodeCompactJws, verifyEs256 } from '../../crypto/jose/compact-jws.js';
import { contentError, trustError } from '../../errors.js';
import type { DsrRegistration, DsrRegistrationStore } from '../../store/dsr-store.js';
import type { DeviceClientCertificate } from './client-certificate.js';
import { type DeviceTokenSubject, deviceTokenSubject } from './device-token.js';
import type { IntegrityVerdicts } from './integrity-verdicts.js';
import { assertAttestedPackage } from './register-device.js';

export interface AttestationDependencies {
  challenges: ChallengeService;
  masterData: DsrMasterData;
  android: { verifier: AndroidVerifier; policy: AndroidPolicy };
  integrity: IntegrityVerdicts;
  registrations: DsrRegistrationStore;
  appAttestKeys: AppAttestKeyStore;
  window: { maxAgeMs: number; skewMs: number };
}

export interface AttestedDevice {
  subject: DeviceTokenSubject;
  registration: DsrRegistration;
  anchors: string[];
}

/** Longest device-attestation token: a fresh key's chain of a handful of certificates and an integrity token. */
const MAX_TOKEN_LENGTH = 64 * 1024;

const malformed = (detail: string) =>
  contentError('DSR_ATTESTATION_TOKEN_MALFORMED', 'The device-attestation token is malformed.', { detail });

/** The Android attestation record's facts as the reference GMS writes keyIdAttestation (security levels as KeyMint numbers). */
const SECURITY_LEVEL_NUMBERS: Readonly<Record<string, number>> = {
  SOFTWARE: 0,
  TRUSTED_ENVIRONMENT: 1,
  STRONG_BOX: 2,
};

function keyIdAttestation(result: AttestationResult): Record<string, unknown> {
  const record = (result.facts as { keyDescription?: Record<string, unknown> }).keyDescription ?? {};
  const hardware = (record.hardwareEnforced ?? {}) as Record<string, unknown>;
  const pick = (...keys: string[]) =>
    Object.fromEntries(keys.filter((key) => hardware[key] !== undefined).map((key) => [key, hardware[key]]));
  return {
    attestationVersion: record.attestationVersion,
    attestationSecurityLevel: SECURITY_LEVEL_NUMBERS[String(record.attestationSecurityLevel)],
    keyMintVersion: record.keyMintVersion,
    keyMintSecurityLevel: SECURITY_LEVEL_NUMBERS[String(record.keyMintSecurityLevel)],
    teeEnforced: pick('rootOfTrust', 'osVersion', 'osPatchLevel', 'vendorPatchLevel', 'bootPatchLevel'),
  };
}

/**
 * The attestation token's signature and its certificate: alg ES256, x5c whose leaf is,
 * byte for byte, the client certificate of the TLS session, and a signature by that
 * certificate's key (which is the registered mTLS key, as the certificate's CA issued it for it).
 */
function verifyTokenSignature(token: string, client: DeviceClientCertificate): Record<string, unknown> {
  if (typeof token !== 'string') throw malformed('token is not a string');
  const jws = decodeCompactJws(token, malformed, { maxLength: MAX_TOKEN_LENGTH });
  if (jws.header.alg !== 'ES256') throw malformed(`alg ${JSON.stringify(jws.header.alg)}`);
  const x5c = jws.header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || typeof x5c[0] !== 'string') throw malformed('x5c is missing');
  if (!Buffer.from(x5c[0], 'base64').equals(client.certificate.der))
    throw trustError(
      'DSR_CLIENT_CERTIFICATE_MISMATCH',
      'The attestation token names another certificate than the client certificate.',
      { detail: 'x5c leaf differs from the TLS client certificate' },
    );
  if (!verifyEs256(jws, client.certificate.publicKey()))
    throw trustError('DSR_ATTESTATION_TOKEN_INVALID', 'The attestation token signature is invalid.');
  return jws.payload;
}

/**
 * RFC-02 (POST /dsr/device-attestation over mTLS), in order: the token's certificate and
 * signature → the claims, their iat window and SDK version → sub is the client certificate's key
 * → the registration of sub, on the same platform → the nonce issued and unused → the platform
 * proof (Android: a fresh key attested under the registered attest key, and the integrity
 * verdict; iOS: an assertion by the registered App Attest key) → the nonce consumed → the iOS
 * counter advanced (compare-and-set, so two assertions with one counter cannot both pass).
 * Returns what the device token will say.
 */
export async function attestDevice(
  dependencies: AttestationDependencies,
  token: string,
  client: DeviceClientCertificate,
  at: number,
): Promise<AttestedDevice> {
  const { challenges } = dependencies;
  const claims = readAttestationClaims(verifyTokenSignature(token, client));
  checkAttestationClaims(claims, { now: at, masterData: dependencies.masterData, ...dependencies.window });
  if (claims.subText !== client.sub)
    throw trustError('DSR_SUB_MISMATCH', 'The sub claim is not the client certificate key.', {
      detail: `sub ${JSON.stringify(claims.subText.slice(0, 64))}, certificate key ${client.sub}`,
    });
  const registration = await dependencies.registrations.bySub(client.sub);
  if (!registration)
    throw trustError('DSR_REGISTRATION_UNKNOWN', 'This device is not registered.', {
      status: 403,
      detail: `sub ${client.sub}`,
    });
  if (registration.platform !== claims.platform)
    throw trustError('DSR_PLATFORM_MISMATCH', 'The token platform is not the registered platform.', {
      detail: `registered ${registration.platform}, token ${claims.platform}`,
    });
  await challenges.check(PROTOCOL_PURPOSES.dsr, claims.nonce);
  const platform = await verifyPlatform(dependencies, claims, registration, at);
  await challenges.consume(PROTOCOL_PURPOSES.dsr, claims.nonce);
  await platform.commit();
  return {
    subject: deviceTokenSubject({
      sub: registration.sub,
      type: claims.platform === 'android' ? 'ANDROID' : 'IOS',
      userIdentifier: registration.userId,
      deviceHealth: platform.deviceHealth,
      deviceAttributes: claims.deviceAttributes as unknown as Record<string, unknown>,
      clientCertificate: client.certificate.der,
    }),
    registration,
    anchors: platform.anchors,
  };
}

interface PlatformProof {
  deviceHealth: Record<string, unknown>;
  anchors: string[];
  /** What the proof changes in the store, done once the nonce is consumed. */
  commit(): Promise<void>;
}

async function verifyPlatform(
  dependencies: AttestationDependencies,
  claims: AttestationClaims,
  registration: DsrRegistration,
  at: number,
): Promise<PlatformProof> {
  if (claims.platform === 'android') {
    if (!registration.attestKeySpki)
      throw trustError('DSR_REGISTRATION_UNKNOWN', 'This device is not registered.', {
        status: 403,
        detail: `the Android registration of ${registration.sub} holds no attest key`,
      });
    const { verifier, policy } = dependencies.android;
    const { attestation } = await verifyAndroidDeviceAttestation(verifier, {
      chain: claims.attestationCertChain,
      nonce: claims.nonce,
      attestKeySpki: Buffer.from(registration.attestKeySpki, 'base64'),
      at,
      policy,
    });
    assertAttestedPackage(claims.packageName, attestation.app.ids);
    const integrityVerdict = await dependencies.integrity.check(claims.integrityVerdict, {
      nonce: claims.nonce,
      suffix: NONCE_SUFFIXES.playIntegrity,
      packageName: claims.packageName,
      at,
    });
    return {
      deviceHealth: { integrityVerdict, keyIdAttestation: keyIdAttestation(attestation) },
      anchors: [attestation.anchor],
      commit: async () => {},
    };
  }
  const keyId = registration.appAttestKeyId;
  const key = keyId === undefined ? undefined : await dependencies.appAttestKeys.find(keyId);
  if (!key)
    throw trustError('DSR_REGISTRATION_UNKNOWN', 'This device is not registered.', {
      status: 403,
      detail: `no App Attest key ${keyId ?? '(none)'} for sub ${registration.sub}`,
    });
  const verified = verifyIosDeviceAttestation({
    assertion: claims.assertion,
    nonce: claims.nonce,
    sub: claims.sub,
    key,
  });
  const riskMetric = registration.facts.riskMetric;
  return {
    deviceHealth: {
      assertion: { ...verified.assertion, ...(typeof riskMetric === 'number' ? { riskMetric } : {}) },
    },
    anchors: [],
    commit: async () => {
      if (!(await dependencies.appAttestKeys.advanceCounter(verified.keyId, verified.counter, at)))
        throw trustError(
          'DSR_IOS_COUNTER_NOT_INCREASING',
          'The assertion counter did not increase: a replayed assertion or a cloned key.',
          { detail: `counter ${verified.counter} lost a race or is not above the stored one` },
        );
    },
  };
}
