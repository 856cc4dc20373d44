import { createPublicKey, type KeyObject } from 'node:crypto';
import { compactDecrypt, compactVerify } from 'jose';
import { contentError, timeError, trustError } from '../../errors.js';
import { type IntegrityNonceSuffix, matchesIntegrityNonce } from './nonce-derivations.js';
import { isJsonObject } from '../../crypto/strict-json.js';

/**
 * Play Integrity verdicts verified locally, as Google's "manage responses yourself" describes it:
 * the integrity token is a compact JWE (alg A256KW, enc A256GCM) under the app's decryption key,
 * whose plaintext is a compact JWS (ES256) by the app's verification key, whose payload is the
 * verdict ({requestDetails, appIntegrity, deviceIntegrity, accountDetails}). Google hands out
 * both keys in the Play Console as base64: the AES key raw, the EC key as DER SubjectPublicKeyInfo.
 *
 * Checked here: decryption, signature, requestDetails.nonce against the token's nonce derivation
 * (padded base64url, as the reference client requests it), requestPackageName (and
 * appIntegrity.packageName where Google reports it) against the token's packageName, and the
 * age of requestDetails.timestampMillis. The verdict values themselves (PLAY_RECOGNIZED,
 * MEETS_*_INTEGRITY, the app's version and signer) are the policy's to judge.
 */

/** One app's Play Integrity response keys. */
export interface PlayIntegrityKeys {
  /** The 32-byte AES key the JWE's content key is wrapped with (A256KW). */
  decryptionKey: Buffer;
  /** The EC P-256 public key the verdict JWS is signed with (ES256). */
  verificationKey: KeyObject;
}

export interface IntegrityExpectation {
  /** The nonce bytes of the DSR token the verdict travels in. */
  nonce: Uint8Array;
  /** "INTEGRITY" (RFC-01 registration) or "2" (RFC-02 device attestation). */
  suffix: IntegrityNonceSuffix;
  /** The DSR token's packageName claim. */
  packageName: string;
  /** Verification time, epoch ms. */
  at: number;
  /** How old requestDetails.timestampMillis may be (default 10 minutes). */
  maxAgeMs?: number;
  /** How far requestDetails.timestampMillis may lie ahead of `at` (default 60 s). */
  skewMs?: number;
}

export const MAX_INTEGRITY_TOKEN_LENGTH = 65_536;
export const DEFAULT_INTEGRITY_MAX_AGE_MS = 10 * 60_000;
export const DEFAULT_INTEGRITY_SKEW_MS = 60_000;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SEGMENT = /^[A-Za-z0-9_-]*$/;

function decodeStandardBase64(text: string, what: string): Buffer {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  if (trimmed.length % 4 !== 0 || !BASE64.test(trimmed) || bytes.toString('base64') !== trimmed) {
    throw new TypeError(`${what} is not base64`);
  }
  return bytes;
}

/**
 * The keys as the Play Console hands them out: the decryption key as base64 of 32 raw bytes, the
 * verification key as base64 of a DER SubjectPublicKeyInfo of an EC P-256 key. TypeError on
 * anything else.
 */
export function parsePlayIntegrityKeys(decryptionKeyBase64: string, verificationKeyBase64: string): PlayIntegrityKeys {
  const decryptionKey = decodeStandardBase64(decryptionKeyBase64, 'Play Integrity decryption key');
  if (decryptionKey.length !== 32) {
    throw new TypeError(`Play Integrity decryption key is ${decryptionKey.length} bytes, not 32 (AES-256)`);
  }
  const spki = decodeStandardBase64(verificationKeyBase64, 'Play Integrity verification key');
  let verificationKey: KeyObject;
  try {
    verificationKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (error) {
    throw new TypeError(
      `Play Integrity verification key is not a DER SubjectPublicKeyInfo (${(error as Error).message})`,
    );
  }
  if (verificationKey.asymmetricKeyType !== 'ec' || verificationKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('Play Integrity verification key is not an EC P-256 key');
  }
  return { decryptionKey, verificationKey };
}

const malformed = (detail: string) =>
  contentError('DSR_INTEGRITY_MALFORMED', 'The integrity verdict is malformed.', { detail });

/** The JWE's protected header, checked before any key is tried: A256KW, A256GCM, nothing else understood. */
function checkJweShape(token: string): void {
  if (token.length > MAX_INTEGRITY_TOKEN_LENGTH) {
    throw malformed(`token of ${token.length} characters, at most ${MAX_INTEGRITY_TOKEN_LENGTH}`);
  }
  const parts = token.split('.');
  if (parts.length !== 5 || !parts.every((part) => SEGMENT.test(part))) {
    throw malformed('not a compact JWE (five base64url segments)');
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  } catch {
    throw malformed('JWE protected header is not JSON');
  }
  if (!isJsonObject(header)) throw malformed('JWE protected header is not an object');
  if (header.alg !== 'A256KW' || header.enc !== 'A256GCM') {
    throw malformed(`JWE alg ${JSON.stringify(header.alg)} enc ${JSON.stringify(header.enc)}, expected A256KW/A256GCM`);
  }
  if (header.zip !== undefined || header.crit !== undefined) throw malformed('JWE header uses zip or crit');
}

async function decrypt(token: string, keys: readonly PlayIntegrityKeys[]): Promise<Uint8Array> {
  const failures: string[] = [];
  for (const [index, key] of keys.entries()) {
    try {
      const { plaintext } = await compactDecrypt(token, key.decryptionKey, {
        keyManagementAlgorithms: ['A256KW'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return plaintext;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A structurally broken JWE fails the same way under every key: report it as malformed.
      if (code === 'ERR_JWE_INVALID') throw malformed(`JWE: ${(error as Error).message}`);
      failures.push(`key ${index}: ${code ?? (error as Error).message}`);
    }
  }
  throw trustError(
    'DSR_INTEGRITY_UNDECRYPTABLE',
    'The integrity verdict does not decrypt with a configured Play Integrity key.',
    { detail: keys.length === 0 ? 'no Play Integrity keys configured' : failures.join('; ') },
  );
}

async function verifySignature(jws: string, keys: readonly PlayIntegrityKeys[]): Promise<Uint8Array> {
  if (jws.split('.').length !== 3) throw malformed('the decrypted verdict is not a compact JWS');
  let lastError = '';
  for (const key of keys) {
    try {
      const { payload } = await compactVerify(jws, key.verificationKey, { algorithms: ['ES256'] });
      return payload;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWS_INVALID' || code === 'ERR_JOSE_NOT_SUPPORTED')
        throw malformed(`JWS: ${(error as Error).message}`);
      if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') throw malformed(`JWS: ${(error as Error).message} (expected ES256)`);
      lastError = code ?? (error as Error).message;
    }
  }
  throw trustError(
    'DSR_INTEGRITY_SIGNATURE_INVALID',
    'The integrity verdict is not signed by a configured Play Integrity key.',
    { detail: lastError },
  );
}

/** requestDetails.timestampMillis: Google writes int64 as a JSON string; a number is accepted too. */
function timestampOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Verifies a Play Integrity token locally with one of `keys` (each key set is tried; key
 * rotation) and returns the verdict payload. Throws DSR_INTEGRITY_MALFORMED, _UNDECRYPTABLE,
 * _SIGNATURE_INVALID, _NONCE_MISMATCH, _PACKAGE_MISMATCH or _STALE.
 *
 * The nonce is requestDetails.nonce (classic request, what the reference client sends); a verdict
 * without one is compared by requestDetails.requestHash (standard request) instead.
 */
export async function verifyIntegrityVerdict(
  token: string,
  keys: readonly PlayIntegrityKeys[],
  expected: IntegrityExpectation,
): Promise<Record<string, unknown>> {
  checkJweShape(token);
  const plaintext = await decrypt(token, keys);
  const payloadBytes = await verifySignature(Buffer.from(plaintext).toString('utf8'), keys);
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch {
    throw malformed('verdict payload is not JSON');
  }
  if (!isJsonObject(payload)) throw malformed('verdict payload is not an object');
  const details = payload.requestDetails;
  if (!isJsonObject(details)) throw malformed('verdict has no requestDetails object');

  const reported = details.nonce !== undefined ? details.nonce : details.requestHash;
  if (typeof reported !== 'string') throw malformed('requestDetails has no nonce (or requestHash) string');
  if (!matchesIntegrityNonce(expected.nonce, expected.suffix, reported)) {
    throw trustError('DSR_INTEGRITY_NONCE_MISMATCH', 'The integrity verdict was not requested for this nonce.', {
      detail: `requestDetails.${details.nonce !== undefined ? 'nonce' : 'requestHash'} is not the "${expected.suffix}" derivation`,
    });
  }

  if (typeof details.requestPackageName !== 'string') throw malformed('requestDetails has no requestPackageName');
  const appPackage = isJsonObject(payload.appIntegrity) ? payload.appIntegrity.packageName : undefined;
  for (const [field, value] of [
    ['requestDetails.requestPackageName', details.requestPackageName],
    ['appIntegrity.packageName', appPackage],
  ] as const) {
    if (value !== undefined && value !== expected.packageName) {
      throw trustError('DSR_INTEGRITY_PACKAGE_MISMATCH', 'The integrity verdict is for another app.', {
        detail: `${field} ${JSON.stringify(String(value).slice(0, 100))}, token packageName ${JSON.stringify(expected.packageName.slice(0, 100))}`,
      });
    }
  }

  const timestamp = timestampOf(details.timestampMillis);
  if (timestamp === undefined) throw malformed('requestDetails.timestampMillis is not a number of milliseconds');
  const maxAge = expected.maxAgeMs ?? DEFAULT_INTEGRITY_MAX_AGE_MS;
  const skew = expected.skewMs ?? DEFAULT_INTEGRITY_SKEW_MS;
  if (expected.at - timestamp > maxAge || timestamp - expected.at > skew) {
    throw timeError('DSR_INTEGRITY_STALE', 'The integrity verdict is too old or from the future.', {
      detail: `timestampMillis ${new Date(timestamp).toISOString()} at ${new Date(expected.at).toISOString()} (max age ${maxAge} ms, skew ${skew} ms)`,
    });
  }
  return payload;
}

/**
 * The verdict with Google's int64-as-string fields as numbers (requestDetails.timestampMillis,
 * appIntegrity.versionCode), the shape the reference GMS writes into a device token's
 * deviceHealth (it reads the verdict into typed records) and the default policies compare
 * (versionCode against the allowed application's version, a number). Other members are kept.
 */
export function normalizeIntegrityVerdict(payload: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...payload };
  if (isJsonObject(payload.requestDetails)) {
    const timestamp = timestampOf(payload.requestDetails.timestampMillis);
    result.requestDetails = {
      ...payload.requestDetails,
      ...(timestamp === undefined ? {} : { timestampMillis: timestamp }),
    };
  }
  if (isJsonObject(payload.appIntegrity)) {
    const version = timestampOf(payload.appIntegrity.versionCode);
    result.appIntegrity = { ...payload.appIntegrity, ...(version === undefined ? {} : { versionCode: version }) };
  }
  return result;
}
