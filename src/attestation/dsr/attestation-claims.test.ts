import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../errors.js';
import { checkAttestationClaims, readAttestationClaims } from './attestation-claims.js';
import { parseMasterData } from './registration-claims.js';

/*
 * Claim sets written by hand from the reference clients' classes: Android from poc-dsr-android
 * DeviceAttestationJwt.buildJwtBody and its DeviceAttestation data class (field names as
 * kotlinx.serialization writes them, including attestationCertChain and version.sdkInit), iOS
 * from poc-dsr-ios AttestationToken.swift. The DER blobs are placeholders (SEQUENCEs).
 */
const MASTER_DATA = parseMasterData(
  JSON.parse(readFileSync(new URL('../../../test/vectors/dsr/gms/masterData.json', import.meta.url), 'utf8')),
);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const sha = (text: string) => createHash('sha256').update(text).digest();
const der = (n: number) => Buffer.from([0x30, 0x03, 0x02, 0x01, n]);
const NONCE = randomBytes(64);
const IAT = 1_700_000_000;
const JWE = 'eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2R0NNIn0.a2V5.aXY.Y2lwaGVy.dGFn';

const androidAttributes = () => ({
  build: {
    version: { sdkInit: 34, securityPatch: '2024-01-05' },
    manufacturer: 'Google',
    product: 'husky',
    model: 'Pixel 8 Pro',
    board: 'husky',
  },
  ro: { crypto: { state: true }, product: { firstAPILevel: 34 } },
  packageManager: { featureVerifiedBoot: true, mainLinePatchLevel: 'Mon Jan 01 00:00:00 GMT 2024' },
  keyguardManager: { isDeviceSecure: true },
  biometricManager: { deviceCredential: true, biometricStrong: true },
  devicePolicyManager: { passwordComplexity: 196608 },
});

const androidAttestation = (): Record<string, unknown> => ({
  iss: 'TrustSDK_0.0.1',
  sub: b64(sha('mtls')),
  iat: IAT,
  type: 'android',
  nonce: b64(NONCE),
  attestationCertChain: [b64(der(1)), b64(der(2)), b64(der(3)), b64(der(4))],
  integrityVerdict: JWE,
  packageName: 'de.gematik.dsr.android',
  deviceAttributes: androidAttributes(),
});

const iosAttestation = (): Record<string, unknown> => ({
  iss: 'TrustSDK_1.0',
  sub: b64(sha('mtls')),
  iat: IAT,
  type: 'iOS',
  nonce: b64(NONCE),
  assertion: b64(Buffer.from([0xa2, 0x69])),
  deviceAttributes: { systemName: 'iOS', systemVersion: '17.2.1', systemModel: 'iPhone15,2', identifierForVendor: '' },
});

function failure(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isKeywardError(error)) return { code: error.code, detail: error.detail };
    throw error;
  }
  throw new Error('no error');
}

describe('readAttestationClaims', () => {
  it('reads the Android client claims', () => {
    const claims = readAttestationClaims(androidAttestation());
    if (claims.platform !== 'android') throw new Error('platform');
    expect(claims.attestationCertChain).toHaveLength(4);
    expect(claims.deviceAttributes).toEqual(androidAttributes());
    expect(claims.nonce).toEqual(NONCE);
  });

  it('reads the iOS client claims', () => {
    const claims = readAttestationClaims(iosAttestation());
    if (claims.platform !== 'ios') throw new Error('platform');
    expect(claims.assertion).toEqual(Buffer.from([0xa2, 0x69]));
    expect(claims.deviceAttributes.systemModel).toBe('iPhone15,2');
  });

  const withAttributes = (change: (a: ReturnType<typeof androidAttributes>) => void) => {
    const attributes = androidAttributes();
    change(attributes);
    return { ...androidAttestation(), deviceAttributes: attributes };
  };

  const refusals: [string, () => unknown, string, string | undefined][] = [
    [
      'the GMS name attestCertChain',
      () => ({ ...androidAttestation(), attestationCertChain: undefined, attestCertChain: [b64(der(1))] }),
      'DSR_CLAIM_MISSING',
      'attestationCertChain',
    ],
    ['a registration claim', () => ({ ...androidAttestation(), csr: b64(der(9)) }), 'DSR_CLAIM_UNEXPECTED', 'csr'],
    [
      'deviceAttributes not an object',
      () => ({ ...androidAttestation(), deviceAttributes: 'x' }),
      'DSR_CLAIMS_NOT_OBJECT',
      'deviceAttributes: got string',
    ],
    [
      'sdkInt instead of sdkInit',
      () =>
        withAttributes((a) => {
          (a.build.version as Record<string, unknown>).sdkInt = 34;
          delete (a.build.version as Record<string, unknown>).sdkInit;
        }),
      'DSR_CLAIM_MISSING',
      'deviceAttributes.build.version.sdkInit',
    ],
    [
      'an extra attribute',
      () =>
        withAttributes((a) => {
          (a.ro as Record<string, unknown>).debuggable = false;
        }),
      'DSR_CLAIM_UNEXPECTED',
      'deviceAttributes.ro.debuggable',
    ],
    [
      'isDeviceSecure as text',
      () =>
        withAttributes((a) => {
          (a.keyguardManager as Record<string, unknown>).isDeviceSecure = 'true';
        }),
      'DSR_CLAIM_INVALID',
      'deviceAttributes.keyguardManager.isDeviceSecure: expected a boolean, got string',
    ],
    [
      'passwordComplexity as float',
      () =>
        withAttributes((a) => {
          a.devicePolicyManager.passwordComplexity = 1.5;
        }),
      'DSR_CLAIM_INVALID',
      'deviceAttributes.devicePolicyManager.passwordComplexity: expected an integer, got number',
    ],
    ['iOS missing assertion', () => ({ ...iosAttestation(), assertion: undefined }), 'DSR_CLAIM_MISSING', 'assertion'],
    ['iOS assertion base64url', () => ({ ...iosAttestation(), assertion: '-_8=' }), 'DSR_CLAIM_INVALID', undefined],
    [
      'iOS Android attributes',
      () => ({ ...iosAttestation(), deviceAttributes: androidAttributes() }),
      'DSR_CLAIM_MISSING',
      'deviceAttributes.systemName',
    ],
    [
      'iOS empty systemVersion',
      () => ({
        ...iosAttestation(),
        deviceAttributes: { systemName: 'iOS', systemVersion: '', systemModel: 'iPhone15,2', identifierForVendor: '' },
      }),
      'DSR_CLAIM_INVALID',
      'deviceAttributes.systemVersion: expected a non-empty string, got string',
    ],
    ['nonce not base64', () => ({ ...iosAttestation(), nonce: 'nonce' }), 'DSR_CLAIM_NONCE_MALFORMED', 'nonce'],
  ];
  it.each(refusals)('refuses %s', (_name, claims, code, detail) => {
    const error = failure(() => readAttestationClaims(claims()));
    expect(error.code).toBe(code);
    if (detail !== undefined) expect(error.detail).toBe(detail);
  });
});

describe('checkAttestationClaims', () => {
  const at = (minutes: number) => IAT * 1000 + minutes * 60_000;
  it('accepts iat within 30 minutes and refuses it after', () => {
    const claims = readAttestationClaims(androidAttestation());
    expect(() => checkAttestationClaims(claims, { now: at(30), masterData: MASTER_DATA })).not.toThrow();
    expect(failure(() => checkAttestationClaims(claims, { now: at(31), masterData: MASTER_DATA })).code).toBe(
      'DSR_CLAIM_ISSUED_TOO_LONG_AGO',
    );
    expect(() =>
      checkAttestationClaims(claims, { now: at(31), masterData: MASTER_DATA, maxAgeMs: 40 * 60_000 }),
    ).not.toThrow();
  });

  it('refuses an untrusted SDK version', () => {
    const claims = readAttestationClaims({ ...iosAttestation(), iss: 'TrustSDK_2.0' });
    expect(failure(() => checkAttestationClaims(claims, { now: at(1), masterData: MASTER_DATA })).code).toBe(
      'DSR_CLAIM_SDK_VERSION_UNTRUSTED',
    );
  });
});
