import { contentError, internalError, timeError, trustError } from '../../errors.js';
import { decodeNonce } from './nonce-derivations.js';

/**
 * The claims of the DSR registration token (gematik RFC-01) exactly as the reference clients
 * write them — Android: poc-dsr-android DeviceRegistrationJwt.buildJwtBody; iOS: poc-dsr-ios
 * DeviceRegistrationToken — read strictly (every claim present, none extra, each of its type
 * and encoding), plus the checks that need no platform verifier: the age of iat, the nonce
 * text, the SDK version allow-list of the GMS master data. Also the readers the
 * device-attestation claims (attestation-claims.ts) share.
 */

/** The two platforms; `type` spellings as the reference GMS maps them (its DeviceType subtypes). */
export type DsrPlatform = 'android' | 'ios';

const PLATFORM_SPELLINGS: Readonly<Record<string, DsrPlatform>> = {
  ANDROID: 'android',
  Android: 'android',
  android: 'android',
  IOS: 'ios',
  ios: 'ios',
  iOS: 'ios',
};

/** Claims both platforms send in both tokens. */
export interface DsrCommonClaims {
  /** `TrustSDK_<version>`, as sent. */
  iss: string;
  /** The `<version>` part of iss. */
  sdkVersion: string;
  /** SHA-256 of the mTLS public key (raw EC point), decoded from base64. */
  sub: Buffer;
  /** The sub claim as sent (standard base64): the device's identifier. */
  subText: string;
  /** Seconds since the epoch. */
  iat: number;
  platform: DsrPlatform;
  /** The type claim as sent (android, iOS, …). */
  type: string;
  /** The nonce bytes (from the GMS's /nonce). */
  nonce: Buffer;
  /** The nonce claim as sent. */
  nonceText: string;
}

export interface AndroidRegistrationClaims extends DsrCommonClaims {
  platform: 'android';
  /** PKCS#10 request for the mTLS key (DER). */
  csr: Buffer;
  /** Key attestation certificate of the mTLS key, issued under the attest key (DER; claim subjectCert). */
  subjectCert: Buffer;
  /** Play Integrity token (compact JWE) as the client received it. */
  integrityVerdict: string;
  packageName: string;
  /** Key attestation chain of the attest key (DER, leaf first; claim attestCertChain). */
  attestCertChain: Buffer[];
  /** SHA-256 of the attest key's raw public key (claim attestPublicKey). */
  attestPublicKey: Buffer;
}

export interface IosRegistrationClaims extends DsrCommonClaims {
  platform: 'ios';
  /** PKCS#10 request for the mTLS key (DER). */
  csr: Buffer;
  /** App Attest key id as the client sent it (base64 of SHA-256 of the App Attest public key). */
  keyId: string;
  /** keyId decoded (32 bytes). */
  keyIdBytes: Buffer;
  /** App Attest attestation object (CBOR). */
  attestation: Buffer;
}

export type RegistrationClaims = AndroidRegistrationClaims | IosRegistrationClaims;

// ---------------------------------------------------------------------------------------------
// Shared readers (also used by attestation-claims.ts)

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const JWE_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ISS = /^TrustSDK_(\S+)$/;

const describe = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

export function invalid(field: string, expected: string, value?: unknown) {
  return contentError('DSR_CLAIM_INVALID', `The claim ${field} is not ${expected}.`, {
    detail: `${field}: expected ${expected}${value === undefined ? '' : `, got ${describe(value)}`}`,
  });
}

/** Canonical, padded standard base64 (java.util.Base64.getEncoder(), Swift base64EncodedString()). */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** A JSON object; its keys are exactly `required` (any missing or extra is refused). */
export function readObject(value: unknown, path: string, required: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw contentError('DSR_CLAIMS_NOT_OBJECT', `${path} is not a JSON object.`, {
      detail: `${path}: got ${describe(value)}`,
    });
  }
  const object = value as Record<string, unknown>;
  for (const key of required) {
    if (!Object.hasOwn(object, key) || object[key] === undefined) {
      const field = join(path, key);
      throw contentError('DSR_CLAIM_MISSING', `The claim ${field} is missing.`, { detail: field });
    }
  }
  for (const key of Object.keys(object)) {
    if (!required.includes(key)) {
      const field = join(path, key);
      throw contentError('DSR_CLAIM_UNEXPECTED', `The claim ${field} is not expected.`, { detail: field });
    }
  }
  return object;
}

const join = (path: string, key: string) => (path === 'claims' ? key : `${path}.${key}`);

export function readString(object: Record<string, unknown>, path: string, key: string, allowEmpty = false): string {
  const value = object[key];
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw invalid(join(path, key), allowEmpty ? 'a string' : 'a non-empty string', value);
  }
  return value;
}

export function readInteger(object: Record<string, unknown>, path: string, key: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(join(path, key), 'an integer', value);
  return value;
}

export function readBoolean(object: Record<string, unknown>, path: string, key: string): boolean {
  const value = object[key];
  if (typeof value !== 'boolean') throw invalid(join(path, key), 'a boolean', value);
  return value;
}

export function readBase64(object: Record<string, unknown>, path: string, key: string, length?: number): Buffer {
  const value = object[key];
  const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
  const expected = length === undefined ? 'standard base64' : `standard base64 of ${length} bytes`;
  if (!bytes || (length !== undefined && bytes.length !== length)) throw invalid(join(path, key), expected, value);
  return bytes;
}

/** A non-empty array of standard-base64 DER certificates (leaf first), as the Android client writes chains. */
export function readDerArray(object: Record<string, unknown>, path: string, key: string): Buffer[] {
  const value = object[key];
  const field = join(path, key);
  if (!Array.isArray(value) || value.length === 0) throw invalid(field, 'a non-empty array of base64 DER', value);
  return value.map((item, index) => {
    const bytes = typeof item === 'string' ? decodeBase64(item) : undefined;
    // Every DER certificate is a SEQUENCE (0x30).
    if (bytes?.[0] !== 0x30) throw invalid(`${field}[${index}]`, 'standard base64 of a DER certificate', item);
    return bytes;
  });
}

/** One standard-base64 DER certificate. */
export function readDer(object: Record<string, unknown>, path: string, key: string): Buffer {
  const value = object[key];
  const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
  if (bytes?.[0] !== 0x30) throw invalid(join(path, key), 'standard base64 of a DER certificate', value);
  return bytes;
}

/** The platform of a payload from its type claim, before the platform's fields are read. */
export function readPlatform(claims: unknown): DsrPlatform {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw contentError('DSR_CLAIMS_NOT_OBJECT', 'claims is not a JSON object.', {
      detail: `claims: got ${describe(claims)}`,
    });
  }
  const type = (claims as Record<string, unknown>).type;
  if (type === undefined) throw contentError('DSR_CLAIM_MISSING', 'The claim type is missing.', { detail: 'type' });
  if (typeof type !== 'string') throw invalid('type', 'a string', type);
  const platform = Object.hasOwn(PLATFORM_SPELLINGS, type) ? PLATFORM_SPELLINGS[type] : undefined;
  if (!platform) {
    throw contentError('DSR_CLAIM_PLATFORM_UNSUPPORTED', 'The claim type names no supported platform.', {
      detail: `type: ${JSON.stringify(type.slice(0, 40))}`,
    });
  }
  return platform;
}

/** iss, sub, iat, type, nonce of an already shape-checked payload. */
export function readCommon(object: Record<string, unknown>, platform: DsrPlatform): DsrCommonClaims {
  const iss = readString(object, 'claims', 'iss');
  const match = ISS.exec(iss);
  if (!match) throw invalid('iss', 'TrustSDK_<version>', iss);
  const subText = readString(object, 'claims', 'sub');
  const sub = readBase64(object, 'claims', 'sub', 32);
  const iat = readInteger(object, 'claims', 'iat');
  if (iat < 0) throw invalid('iat', 'a non-negative number of seconds', iat);
  const type = readString(object, 'claims', 'type');
  const nonceText = readString(object, 'claims', 'nonce');
  const nonce = decodeNonce(nonceText);
  if (!nonce) {
    throw contentError('DSR_CLAIM_NONCE_MALFORMED', 'The nonce claim is not canonical, padded standard base64.', {
      detail: 'nonce',
    });
  }
  return { iss, sdkVersion: match[1]!, sub, subText, iat, platform, type, nonce, nonceText };
}

/** A Play Integrity token as the client forwards it: a compact JWE (five base64url parts). */
export function readIntegrityToken(object: Record<string, unknown>, key: string): string {
  const value = readString(object, 'claims', key);
  if (!JWE_COMPACT.test(value)) throw invalid(key, 'a compact JWE (Play Integrity token)', value);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Registration token

const ANDROID_REGISTRATION_FIELDS = [
  'iss',
  'sub',
  'iat',
  'type',
  'nonce',
  'csr',
  'subjectCert',
  'integrityVerdict',
  'packageName',
  'attestCertChain',
  'attestPublicKey',
] as const;

const IOS_REGISTRATION_FIELDS = ['iss', 'sub', 'iat', 'type', 'nonce', 'csr', 'keyId', 'attestation'] as const;

/**
 * The registration token's payload (parsed JSON, after the card signature was checked) as a typed
 * object. Throws DSR_CLAIMS_NOT_OBJECT, DSR_CLAIM_MISSING, DSR_CLAIM_UNEXPECTED, DSR_CLAIM_INVALID,
 * DSR_CLAIM_PLATFORM_UNSUPPORTED or DSR_CLAIM_NONCE_MALFORMED, the detail naming the field.
 */
export function readRegistrationClaims(claims: unknown): RegistrationClaims {
  const platform = readPlatform(claims);
  if (platform === 'android') {
    const object = readObject(claims, 'claims', ANDROID_REGISTRATION_FIELDS);
    const common = readCommon(object, platform);
    return {
      ...common,
      platform,
      csr: readBase64(object, 'claims', 'csr'),
      subjectCert: readDer(object, 'claims', 'subjectCert'),
      integrityVerdict: readIntegrityToken(object, 'integrityVerdict'),
      packageName: readString(object, 'claims', 'packageName'),
      attestCertChain: readDerArray(object, 'claims', 'attestCertChain'),
      attestPublicKey: readBase64(object, 'claims', 'attestPublicKey', 32),
    };
  }
  const object = readObject(claims, 'claims', IOS_REGISTRATION_FIELDS);
  const common = readCommon(object, platform);
  return {
    ...common,
    platform,
    csr: readBase64(object, 'claims', 'csr'),
    keyId: readString(object, 'claims', 'keyId'),
    keyIdBytes: readBase64(object, 'claims', 'keyId', 32),
    attestation: readBase64(object, 'claims', 'attestation'),
  };
}

// ---------------------------------------------------------------------------------------------
// Checks without a platform verifier

export const REGISTRATION_MAX_AGE_MS = 60 * 60_000;
export const ATTESTATION_MAX_AGE_MS = 30 * 60_000;
export const DEFAULT_IAT_SKEW_MS = 60_000;

export interface IatWindow {
  /** How long after iat the token is still accepted (ms). */
  maxAgeMs: number;
  /** How far iat may lie ahead of now (ms), for device clocks running fast. */
  skewMs?: number;
}

/**
 * iat (seconds) within [now − maxAge, now + skew] at `now` (epoch ms). Throws
 * DSR_CLAIM_ISSUED_TOO_LONG_AGO or DSR_CLAIM_ISSUED_IN_FUTURE.
 */
export function assertIatWithin(iat: number, now: number, window: IatWindow): void {
  const issued = iat * 1000;
  const skew = window.skewMs ?? DEFAULT_IAT_SKEW_MS;
  if (issued > now + skew) {
    throw timeError('DSR_CLAIM_ISSUED_IN_FUTURE', 'The token was issued in the future.', {
      detail: `iat ${new Date(issued).toISOString()} > now ${new Date(now).toISOString()} + ${skew} ms`,
    });
  }
  if (issued < now - window.maxAgeMs) {
    throw timeError('DSR_CLAIM_ISSUED_TOO_LONG_AGO', 'The token was issued too long ago.', {
      detail: `iat ${new Date(issued).toISOString()} older than ${window.maxAgeMs / 60_000} min at ${new Date(now).toISOString()}`,
    });
  }
}

/** The GMS master data (the reference's masterData.json). */
export interface DsrMasterData {
  availablePackages: { packageName: string; version: number; certificateSha256Digest: string }[];
  availableAppIds: { teamId: string; bundledIdentifier: string }[];
  trustedSDKVersions: string[];
}

const internal = (detail: string) =>
  internalError('DSR_MASTER_DATA_MALFORMED', 'The DSR master data does not have the expected structure.', { detail });

/**
 * masterData.json's structure, checked: availablePackages [{packageName, version (integer),
 * certificateSha256Digest (base64url SHA-256 of the signing certificate)}], availableAppIds
 * [{teamId, bundledIdentifier}], trustedSDKVersions [string]. Throws DSR_MASTER_DATA_MALFORMED.
 */
export function parseMasterData(json: unknown): DsrMasterData {
  try {
    const root = readObject(json, 'masterData', ['availablePackages', 'availableAppIds', 'trustedSDKVersions']);
    const list = (key: string) => {
      const value = root[key];
      if (!Array.isArray(value)) throw invalid(`masterData.${key}`, 'an array', value);
      return value;
    };
    const availablePackages = list('availablePackages').map((item, index) => {
      const path = `masterData.availablePackages[${index}]`;
      const entry = readObject(item, path, ['packageName', 'version', 'certificateSha256Digest']);
      const digest = readString(entry, path, 'certificateSha256Digest');
      if (!/^[A-Za-z0-9_-]{43}$/.test(digest)) {
        throw invalid(`${path}.certificateSha256Digest`, 'unpadded base64url of 32 bytes', digest);
      }
      return {
        packageName: readString(entry, path, 'packageName'),
        version: readInteger(entry, path, 'version'),
        certificateSha256Digest: digest,
      };
    });
    const availableAppIds = list('availableAppIds').map((item, index) => {
      const path = `masterData.availableAppIds[${index}]`;
      const entry = readObject(item, path, ['teamId', 'bundledIdentifier']);
      return {
        teamId: readString(entry, path, 'teamId'),
        bundledIdentifier: readString(entry, path, 'bundledIdentifier'),
      };
    });
    const trustedSDKVersions = list('trustedSDKVersions').map((item, index) => {
      if (typeof item !== 'string' || item.length === 0) {
        throw invalid(`masterData.trustedSDKVersions[${index}]`, 'a non-empty string', item);
      }
      return item;
    });
    return { availablePackages, availableAppIds, trustedSDKVersions };
  } catch (error) {
    throw internal((error as { detail?: string }).detail ?? String(error));
  }
}

/**
 * Whether `version` (iss without TrustSDK_) is a trusted SDK version. The reference master data
 * keeps one list for both platforms, so `platform` does not narrow it (it is taken so callers
 * state which client they check, and so a per-platform list can be added without new call sites).
 */
export function sdkVersionAllowed(masterData: DsrMasterData, _platform: DsrPlatform, version: string): boolean {
  return masterData.trustedSDKVersions.includes(version);
}

/** sdkVersionAllowed, throwing DSR_CLAIM_SDK_VERSION_UNTRUSTED. */
export function assertSdkVersionAllowed(masterData: DsrMasterData, claims: DsrCommonClaims): void {
  if (!sdkVersionAllowed(masterData, claims.platform, claims.sdkVersion)) {
    throw trustError('DSR_CLAIM_SDK_VERSION_UNTRUSTED', 'The SDK version is not trusted.', {
      detail: `iss ${JSON.stringify(claims.iss.slice(0, 60))}`,
    });
  }
}

/** The registration checks that need no platform verifier: iat within the window (60 min by default), SDK version trusted. */
export function checkRegistrationClaims(
  claims: RegistrationClaims,
  options: { now: number; masterData: DsrMasterData; maxAgeMs?: number; skewMs?: number },
): void {
  assertIatWithin(claims.iat, options.now, {
    maxAgeMs: options.maxAgeMs ?? REGISTRATION_MAX_AGE_MS,
    ...(options.skewMs === undefined ? {} : { skewMs: options.skewMs }),
  });
  assertSdkVersionAllowed(options.masterData, claims);
}
