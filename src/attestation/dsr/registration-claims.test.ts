import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../errors.js';
import {
  assertIatWithin,
  checkRegistrationClaims,
  parseMasterData,
  readRegistrationClaims,
  sdkVersionAllowed,
} from './registration-claims.js';

/*
 * Claim sets written by hand from the reference clients' classes: Android from poc-dsr-android
 * DeviceRegistrationJwt.buildJwtBody (github.com/gematik/poc-dsr-android),
 * iOS from poc-dsr-ios DeviceRegistrationToken.swift. Encodings as there: java.util.Base64 /
 * Swift base64EncodedString (standard, padded); certificate chains as arrays of base64 DER.
 * The DER blobs are placeholders (SEQUENCEs): only their encoding is checked here.
 */
const MASTER_DATA = JSON.parse(
  readFileSync(new URL('../../../test/vectors/dsr/gms/masterData.json', import.meta.url), 'utf8'),
);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const sha = (text: string) => createHash('sha256').update(text).digest();
const der = (n: number) => Buffer.concat([Buffer.from([0x30, 0x03, 0x02, 0x01, n])]);
const NONCE = randomBytes(64);
const IAT = 1_700_000_000;
const NOW = IAT * 1000 + 5 * 60_000;
const JWE = 'eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2R0NNIn0.a2V5.aXY.Y2lwaGVy.dGFn';

const androidRegistration = () => ({
  iss: 'TrustSDK_0.0.1',
  sub: b64(sha('mtls')),
  iat: IAT,
  type: 'android',
  nonce: b64(NONCE),
  csr: b64(der(9)),
  subjectCert: b64(der(1)),
  integrityVerdict: JWE,
  packageName: 'de.gematik.dsr.android',
  attestCertChain: [b64(der(2)), b64(der(3)), b64(der(4))],
  attestPublicKey: b64(sha('attest')),
});

const iosRegistration = () => ({
  iss: 'TrustSDK_1.0',
  sub: b64(sha('mtls')),
  iat: IAT,
  type: 'iOS',
  nonce: b64(NONCE),
  csr: b64(der(9)),
  keyId: b64(sha('appattest')),
  attestation: b64(Buffer.from([0xa3, 0x63, 0x66, 0x6d, 0x74])),
});

function code(fn: () => unknown): { code: string; detail: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (isKeywardError(error)) return { code: error.code, detail: error.detail };
    throw error;
  }
  throw new Error('no error');
}

describe('readRegistrationClaims', () => {
  it('reads the Android client claims', () => {
    const claims = readRegistrationClaims(androidRegistration());
    expect(claims.platform).toBe('android');
    if (claims.platform !== 'android') return;
    expect(claims.sdkVersion).toBe('0.0.1');
    expect(claims.sub).toEqual(sha('mtls'));
    expect(claims.nonce).toEqual(NONCE);
    expect(claims.attestCertChain).toHaveLength(3);
    expect(claims.subjectCert).toEqual(der(1));
    expect(claims.attestPublicKey).toEqual(sha('attest'));
  });

  it('reads the iOS client claims', () => {
    const claims = readRegistrationClaims(iosRegistration());
    expect(claims.platform).toBe('ios');
    if (claims.platform !== 'ios') return;
    expect(claims.keyIdBytes).toEqual(sha('appattest'));
    expect(claims.attestation[0]).toBe(0xa3);
  });

  it.each(['ANDROID', 'Android', 'android'])('accepts the GMS spelling %s', (type) => {
    expect(readRegistrationClaims({ ...androidRegistration(), type }).platform).toBe('android');
  });

  const refusals: [string, () => unknown, string, string | undefined][] = [
    ['not an object', () => [], 'DSR_CLAIMS_NOT_OBJECT', 'claims: got array'],
    ['no type', () => ({ ...androidRegistration(), type: undefined }), 'DSR_CLAIM_MISSING', 'type'],
    [
      'unknown type',
      () => ({ ...androidRegistration(), type: 'apple' }),
      'DSR_CLAIM_PLATFORM_UNSUPPORTED',
      'type: "apple"',
    ],
    [
      'missing subjectCert',
      () => ({ ...androidRegistration(), subjectCert: undefined }),
      'DSR_CLAIM_MISSING',
      'subjectCert',
    ],
    ['extra claim', () => ({ ...androidRegistration(), exp: 1 }), 'DSR_CLAIM_UNEXPECTED', 'exp'],
    ['iOS claim on Android', () => ({ ...androidRegistration(), keyId: 'x' }), 'DSR_CLAIM_UNEXPECTED', 'keyId'],
    [
      'iat as text',
      () => ({ ...androidRegistration(), iat: '1700000000' }),
      'DSR_CLAIM_INVALID',
      'iat: expected an integer, got string',
    ],
    [
      'iat in ms fraction',
      () => ({ ...androidRegistration(), iat: 1.5 }),
      'DSR_CLAIM_INVALID',
      'iat: expected an integer, got number',
    ],
    [
      'iss without prefix',
      () => ({ ...androidRegistration(), iss: '0.0.1' }),
      'DSR_CLAIM_INVALID',
      'iss: expected TrustSDK_<version>, got string',
    ],
    [
      'sub base64url',
      () => ({ ...androidRegistration(), sub: sha('mtls').toString('base64url') }),
      'DSR_CLAIM_INVALID',
      undefined,
    ],
    [
      'sub not 32 bytes',
      () => ({ ...androidRegistration(), sub: b64(Buffer.alloc(20)) }),
      'DSR_CLAIM_INVALID',
      undefined,
    ],
    [
      'nonce unpadded',
      () => ({ ...androidRegistration(), nonce: b64(NONCE).replace(/=+$/, '') }),
      'DSR_CLAIM_NONCE_MALFORMED',
      'nonce',
    ],
    ['chain empty', () => ({ ...androidRegistration(), attestCertChain: [] }), 'DSR_CLAIM_INVALID', undefined],
    [
      'chain item not DER',
      () => ({ ...androidRegistration(), attestCertChain: [b64(der(2)), 'AAAA'] }),
      'DSR_CLAIM_INVALID',
      undefined,
    ],
    [
      'chain as string',
      () => ({ ...androidRegistration(), attestCertChain: b64(der(2)) }),
      'DSR_CLAIM_INVALID',
      undefined,
    ],
    ['verdict not JWE', () => ({ ...androidRegistration(), integrityVerdict: 'abc' }), 'DSR_CLAIM_INVALID', undefined],
    ['empty packageName', () => ({ ...androidRegistration(), packageName: '' }), 'DSR_CLAIM_INVALID', undefined],
    [
      'iOS missing attestation',
      () => ({ ...iosRegistration(), attestation: undefined }),
      'DSR_CLAIM_MISSING',
      'attestation',
    ],
    ['iOS keyId not base64', () => ({ ...iosRegistration(), keyId: 'not base64!' }), 'DSR_CLAIM_INVALID', undefined],
  ];
  it.each(refusals)('refuses %s', (_name, claims, expected, detail) => {
    const error = code(() => readRegistrationClaims(claims()));
    expect(error.code).toBe(expected);
    if (detail !== undefined) expect(error.detail).toBe(detail);
  });

  it('names nested fields in the detail', () => {
    expect(
      code(() => readRegistrationClaims({ ...androidRegistration(), attestCertChain: [b64(der(2)), 7] })).detail,
    ).toBe('attestCertChain[1]: expected standard base64 of a DER certificate, got number');
  });
});

describe('checks without a platform verifier', () => {
  const masterData = parseMasterData(MASTER_DATA);

  it('parses the reference masterData.json', () => {
    expect(masterData.trustedSDKVersions).toEqual(['1.0', '0.0.1']);
    expect(masterData.availablePackages[0]).toEqual({
      packageName: 'de.gematik.dsr.android',
      version: 1,
      certificateSha256Digest: 'Br8MmBmVeijVKv77d2_UxosqaKD0F2IyTJ-Ak04IhBI',
    });
    expect(masterData.availableAppIds[0]).toEqual({ teamId: 'A9FL89PFFL', bundledIdentifier: 'de.gematik.dsr' });
  });

  it('refuses master data of another structure', () => {
    expect(code(() => parseMasterData({ ...MASTER_DATA, trustedSDKVersions: '1.0' }))).toEqual({
      code: 'DSR_MASTER_DATA_MALFORMED',
      detail: 'masterData.trustedSDKVersions: expected an array, got string',
    });
    expect(code(() => parseMasterData({ ...MASTER_DATA, extra: 1 })).detail).toBe('masterData.extra');
    expect(
      code(() =>
        parseMasterData({
          ...MASTER_DATA,
          availablePackages: [
            { packageName: 'x', version: '1', certificateSha256Digest: 'Br8MmBmVeijVKv77d2_UxosqaKD0F2IyTJ-Ak04IhBI' },
          ],
        }),
      ).detail,
    ).toBe('masterData.availablePackages[0].version: expected an integer, got string');
  });

  it('sdkVersionAllowed follows trustedSDKVersions for both platforms', () => {
    expect(sdkVersionAllowed(masterData, 'android', '0.0.1')).toBe(true);
    expect(sdkVersionAllowed(masterData, 'ios', '1.0')).toBe(true);
    expect(sdkVersionAllowed(masterData, 'android', '0.0.2')).toBe(false);
    expect(sdkVersionAllowed(masterData, 'ios', '1')).toBe(false);
  });

  it('accepts both reference clients at five minutes', () => {
    expect(() =>
      checkRegistrationClaims(readRegistrationClaims(androidRegistration()), { now: NOW, masterData }),
    ).not.toThrow();
    expect(() =>
      checkRegistrationClaims(readRegistrationClaims(iosRegistration()), { now: NOW, masterData }),
    ).not.toThrow();
  });

  it('refuses an untrusted SDK version', () => {
    const claims = readRegistrationClaims({ ...androidRegistration(), iss: 'TrustSDK_9.9' });
    expect(code(() => checkRegistrationClaims(claims, { now: NOW, masterData })).code).toBe(
      'DSR_CLAIM_SDK_VERSION_UNTRUSTED',
    );
  });

  it('refuses iat outside the 60-minute window, and honours the parameters', () => {
    const claims = readRegistrationClaims(androidRegistration());
    const at = (minutes: number) => IAT * 1000 + minutes * 60_000;
    expect(() => checkRegistrationClaims(claims, { now: at(60), masterData })).not.toThrow();
    expect(code(() => checkRegistrationClaims(claims, { now: at(60) + 1, masterData })).code).toBe(
      'DSR_CLAIM_ISSUED_TOO_LONG_AGO',
    );
    expect(code(() => checkRegistrationClaims(claims, { now: at(10), masterData, maxAgeMs: 5 * 60_000 })).code).toBe(
      'DSR_CLAIM_ISSUED_TOO_LONG_AGO',
    );
    expect(code(() => checkRegistrationClaims(claims, { now: at(-2), masterData })).code).toBe(
      'DSR_CLAIM_ISSUED_IN_FUTURE',
    );
    expect(() => checkRegistrationClaims(claims, { now: at(-2), masterData, skewMs: 3 * 60_000 })).not.toThrow();
  });

  it('assertIatWithin bounds are inclusive', () => {
    expect(() => assertIatWithin(100, 100_000 + 1000, { maxAgeMs: 1000, skewMs: 0 })).not.toThrow();
    expect(() => assertIatWithin(100, 100_000 - 0, { maxAgeMs: 1000, skewMs: 0 })).not.toThrow();
    expect(() => assertIatWithin(100, 99_999, { maxAgeMs: 1000, skewMs: 0 })).toThrow();
  });
});
