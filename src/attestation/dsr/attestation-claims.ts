import {
  ATTESTATION_MAX_AGE_MS,
  assertIatWithin,
  assertSdkVersionAllowed,
  type DsrCommonClaims,
  type DsrMasterData,
  readBase64,
  readBoolean,
  readCommon,
  readDerArray,
  readInteger,
  readIntegrityToken,
  readObject,
  readPlatform,
  readString,
} from './registration-claims.js';

/**
 * The claims of the DSR device-attestation token (gematik RFC-02) exactly as the reference
 * clients write them — Android: poc-dsr-android DeviceAttestationJwt.buildJwtBody and its
 * DeviceAttestation data class; iOS: poc-dsr-ios AttestationToken — read strictly, and the
 * checks that need no platform verifier.
 *
 * Names are the client's, not the reference GMS's: the Android client sends
 * `attestationCertChain` (the GMS record reads `attestCertChain`) and `build.version.sdkInit`
 * (sic; PROTOCOLS.md writes sdkInt).
 */

/** deviceAttributes of the Android client (DeviceAttestation.DeviceAttributes). */
export interface AndroidDeviceAttributes {
  build: {
    version: { sdkInit: number; securityPatch: string };
    manufacturer: string;
    product: string;
    model: string;
    board: string;
  };
  ro: { crypto: { state: boolean }; product: { firstAPILevel: number } };
  packageManager: { featureVerifiedBoot: boolean; mainLinePatchLevel: string };
  keyguardManager: { isDeviceSecure: boolean };
  biometricManager: { deviceCredential: boolean; biometricStrong: boolean };
  devicePolicyManager: { passwordComplexity: number };
}

/** deviceAttributes of the iOS client (AttestationToken.Attributes). */
export interface IosDeviceAttributes {
  systemName: string;
  systemVersion: string;
  systemModel: string;
  /** May be empty: UIDevice.identifierForVendor is nil before the first unlock. */
  identifierForVendor: string;
}

export interface AndroidAttestationClaims extends DsrCommonClaims {
  platform: 'android';
  /** Key attestation chain of a fresh key, attested under the registered attest key (DER, leaf first). */
  attestationCertChain: Buffer[];
  /** Play Integrity token (compact JWE; standard request). */
  integrityVerdict: string;
  packageName: string;
  deviceAttributes: AndroidDeviceAttributes;
}

export interface IosAttestationClaims extends DsrCommonClaims {
  platform: 'ios';
  /** App Attest assertion (CBOR {signature, authenticatorData}). */
  assertion: Buffer;
  deviceAttributes: IosDeviceAttributes;
}

export type AttestationClaims = AndroidAttestationClaims | IosAttestationClaims;

const ANDROID_FIELDS = [
  'iss',
  'sub',
  'iat',
  'type',
  'nonce',
  'attestationCertChain',
  'integrityVerdict',
  'packageName',
  'deviceAttributes',
] as const;
const IOS_FIELDS = ['iss', 'sub', 'iat', 'type', 'nonce', 'assertion', 'deviceAttributes'] as const;

function readAndroidAttributes(value: unknown): AndroidDeviceAttributes {
  const p = 'deviceAttributes';
  const attributes = readObject(value, p, [
    'build',
    'ro',
    'packageManager',
    'keyguardManager',
    'biometricManager',
    'devicePolicyManager',
  ]);
  const build = readObject(attributes.build, `${p}.build`, ['version', 'manufacturer', 'product', 'model', 'board']);
  const version = readObject(build.version, `${p}.build.version`, ['sdkInit', 'securityPatch']);
  const ro = readObject(attributes.ro, `${p}.ro`, ['crypto', 'product']);
  const crypto = readObject(ro.crypto, `${p}.ro.crypto`, ['state']);
  const product = readObject(ro.product, `${p}.ro.product`, ['firstAPILevel']);
  const packageManager = readObject(attributes.packageManager, `${p}.packageManager`, [
    'featureVerifiedBoot',
    'mainLinePatchLevel',
  ]);
  const keyguard = readObject(attributes.keyguardManager, `${p}.keyguardManager`, ['isDeviceSecure']);
  const biometric = readObject(attributes.biometricManager, `${p}.biometricManager`, [
    'deviceCredential',
    'biometricStrong',
  ]);
  const policy = readObject(attributes.devicePolicyManager, `${p}.devicePolicyManager`, ['passwordComplexity']);
  return {
    build: {
      version: {
        sdkInit: readInteger(version, `${p}.build.version`, 'sdkInit'),
        // Build.VERSION.SECURITY_PATCH: may be empty on some builds, so only its type is checked here.
        securityPatch: readString(version, `${p}.build.version`, 'securityPatch', true),
      },
      manufacturer: readString(build, `${p}.build`, 'manufacturer', true),
      product: readString(build, `${p}.build`, 'product', true),
      model: readString(build, `${p}.build`, 'model', true),
      board: readString(build, `${p}.build`, 'board', true),
    },
    ro: {
      crypto: { state: readBoolean(crypto, `${p}.ro.crypto`, 'state') },
      product: { firstAPILevel: readInteger(product, `${p}.ro.product`, 'firstAPILevel') },
    },
    packageManager: {
      featureVerifiedBoot: readBoolean(packageManager, `${p}.packageManager`, 'featureVerifiedBoot'),
      mainLinePatchLevel: readString(packageManager, `${p}.packageManager`, 'mainLinePatchLevel', true),
    },
    keyguardManager: { isDeviceSecure: readBoolean(keyguard, `${p}.keyguardManager`, 'isDeviceSecure') },
    biometricManager: {
      deviceCredential: readBoolean(biometric, `${p}.biometricManager`, 'deviceCredential'),
      biometricStrong: readBoolean(biometric, `${p}.biometricManager`, 'biometricStrong'),
    },
    devicePolicyManager: {
      passwordComplexity: readInteger(policy, `${p}.devicePolicyManager`, 'passwordComplexity'),
    },
  };
}

function readIosAttributes(value: unknown): IosDeviceAttributes {
  const p = 'deviceAttributes';
  const attributes = readObject(value, p, ['systemName', 'systemVersion', 'systemModel', 'identifierForVendor']);
  return {
    systemName: readString(attributes, p, 'systemName'),
    systemVersion: readString(attributes, p, 'systemVersion'),
    systemModel: readString(attributes, p, 'systemModel'),
    identifierForVendor: readString(attributes, p, 'identifierForVendor', true),
  };
}

/**
 * The device-attestation token's payload (parsed JSON) as a typed object. Throws
 * DSR_CLAIMS_NOT_OBJECT, DSR_CLAIM_MISSING, DSR_CLAIM_UNEXPECTED, DSR_CLAIM_INVALID,
 * DSR_CLAIM_PLATFORM_UNSUPPORTED or DSR_CLAIM_NONCE_MALFORMED, the detail naming the field
 * (dotted for nested ones: deviceAttributes.build.version.sdkInit).
 */
export function readAttestationClaims(claims: unknown): AttestationClaims {
  const platform = readPlatform(claims);
  if (platform === 'android') {
    const object = readObject(claims, 'claims', ANDROID_FIELDS);
    return {
      ...readCommon(object, platform),
      platform,
      attestationCertChain: readDerArray(object, 'claims', 'attestationCertChain'),
      integrityVerdict: readIntegrityToken(object, 'integrityVerdict'),
      packageName: readString(object, 'claims', 'packageName'),
      deviceAttributes: readAndroidAttributes(object.deviceAttributes),
    };
  }
  const object = readObject(claims, 'claims', IOS_FIELDS);
  return {
    ...readCommon(object, platform),
    platform,
    assertion: readBase64(object, 'claims', 'assertion'),
    deviceAttributes: readIosAttributes(object.deviceAttributes),
  };
}

/** The attestation checks that need no platform verifier: iat within the window (30 min by default), SDK version trusted. */
export function checkAttestationClaims(
  claims: AttestationClaims,
  options: { now: number; masterData: DsrMasterData; maxAgeMs?: number; skewMs?: number },
): void {
  assertIatWithin(claims.iat, options.now, {
    maxAgeMs: options.maxAgeMs ?? ATTESTATION_MAX_AGE_MS,
    ...(options.skewMs === undefined ? {} : { skewMs: options.skewMs }),
  });
  assertSdkVersionAllowed(options.masterData, claims);
}
