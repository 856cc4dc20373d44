import { createPublicKey, timingSafeEqual, type JsonWebKey, type KeyObject } from 'node:crypto';
import { asBuffer } from '../../crypto/bytes.js';
import { publicKeyJwk } from '../../crypto/jose/jwk.js';
import { EC_OID } from '../../crypto/keys.js';
import { parseStrictJson } from '../../crypto/strict-json.js';
import { contentError } from '../../errors.js';

/** Warden's clientData purpose for a Secure Enclave key bound by App Attest (docs/protocols/apple-app-attest.md). */
export const EMULATED_KEY_PURPOSE = 'ios app-attest: secure enclave protected key';
const FIELDS = ['purpose', 'publicKey', 'challenge'] as const;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export interface EmulatedKeyBinding {
  /** The Secure Enclave key the attestation vouches for: compare it with the CSR key. */
  publicKey: KeyObject;
  jwk: JsonWebKey;
  /** 04‖X‖Y */
  point: Buffer;
}

const malformed = (detail: string) =>
  contentError('CLIENT_DATA_MALFORMED', 'The client data is malformed.', { detail });

/** Strict unpadded base64url: the text must be exactly what re-encoding the bytes gives. */
function base64url(text: string, field: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (!BASE64URL.test(text) || bytes.toString('base64url') !== text)
    throw malformed(`${field} is not unpadded base64url`);
  return bytes;
}

/**
 * Warden's "emulated key attestation" clientData: UTF-8 JSON with exactly purpose, publicKey and
 * challenge, all strings; the purpose is Warden's; publicKey a P-256 point on the curve; the
 * challenge the one the server issued. Returns the bound key.
 */
export function parseEmulatedKeyClientData(clientData: Uint8Array, expectedChallenge: Uint8Array): EmulatedKeyBinding {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(clientData);
  } catch (error) {
    throw malformed(`not UTF-8: ${(error as Error).message}`);
  }
  // Duplicate keys refused: another reader keeping the first "publicKey" must not see another key than this one.
  const parsed = parseStrictJson(text, (detail) => malformed(`not strict JSON: ${detail}`));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('not a JSON object');
  const fields = parsed as Record<string, unknown>;
  const keys = Object.keys(fields);
  const extra = keys.filter((key) => !(FIELDS as readonly string[]).includes(key));
  const missing = FIELDS.filter((field) => !keys.includes(field));
  if (extra.length > 0 || missing.length > 0)
    throw malformed(`fields: unexpected [${extra.join(', ')}], missing [${missing.join(', ')}]`);
  for (const field of FIELDS) if (typeof fields[field] !== 'string') throw malformed(`${field} is not a string`);
  const { purpose, publicKey, challenge } = fields as Record<(typeof FIELDS)[number], string>;

  if (purpose !== EMULATED_KEY_PURPOSE) {
    throw contentError('CLIENT_DATA_PURPOSE_MISMATCH', 'The client data was made for another purpose.', {
      detail: `purpose ${JSON.stringify(purpose)}`,
    });
  }
  const point = base64url(publicKey, 'publicKey');
  const { key, jwk } = p256Key(point);
  const actual = base64url(challenge, 'challenge');
  if (actual.length !== expectedChallenge.length || !timingSafeEqual(actual, expectedChallenge)) {
    throw contentError('CLIENT_DATA_CHALLENGE_MISMATCH', 'The client data was not made for this challenge.');
  }
  return { publicKey: key, jwk, point };
}

/** An uncompressed P-256 point as a key and its JWK (the import's input, so it need not be exported again); points off the curve fail to import. */
function p256Key(point: Buffer): { key: KeyObject; jwk: JsonWebKey } {
  const invalid = (detail: string) =>
    contentError('CLIENT_DATA_KEY_INVALID', 'The bound public key is not a P-256 key.', { detail });
  const jwk = publicKeyJwk(EC_OID, 'P-256', point);
  if (!jwk)
    throw invalid(
      `${point.length} bytes${point.length > 0 ? ` starting 0x${point[0]!.toString(16)}` : ''}, expected 04‖X‖Y (65 bytes)`,
    );
  try {
    return { key: createPublicKey({ key: jwk, format: 'jwk' }), jwk };
  } catch (error) {
    throw invalid(`not a point on P-256: ${(error as Error).message}`);
  }
}

/**
 * The clientData of an emulated key attestation for `point` and `challenge`, byte for byte as
 * Warden's client library (and the reference MDVM, which builds it server-side) serialises it:
 * compact JSON with purpose, publicKey and challenge in this order, values unpadded base64url.
 */
export function emulatedKeyClientData(point: Uint8Array, challenge: Uint8Array): Buffer {
  const b64url = (bytes: Uint8Array) => asBuffer(bytes).toString('base64url');
  return Buffer.from(
    JSON.stringify({ purpose: EMULATED_KEY_PURPOSE, publicKey: b64url(point), challenge: b64url(challenge) }),
  );
}
