import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../../crypto/keys.js';
import { parseStrictJson } from '../../crypto/strict-json.js';
import { contentError, trustError } from '../../errors.js';

export type CeremonyType = 'webauthn.create' | 'webauthn.get';

export interface ClientDataExpectations {
  type: CeremonyType;
  /** The challenge as issued (raw bytes). */
  challenge: Uint8Array;
  /** Accepted origins, compared exactly (`https://example.com`, `android:apk-key-hash:…`). */
  origins: readonly string[];
}

/** The checked collected client data (WebAuthn §5.8.1) and its hash. */
export interface ClientData {
  type: CeremonyType;
  origin: string;
  /** Present (and then false) when the client said so. */
  crossOrigin?: boolean;
  /** The top-level origin the client reported, if any. */
  topOrigin?: string;
  /** SHA-256 of the clientDataJSON bytes: what the authenticator signed. */
  clientDataHash: Buffer;
}

/** WebAuthn decodes clientDataJSON with the Encoding standard's UTF-8 decode, which drops a leading BOM. */
const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const TOKEN_BINDING_STATUSES = new Set(['present', 'supported', 'not-supported']);

const malformed = (detail: string) =>
  contentError('CLIENT_DATA_JSON_MALFORMED', 'The client data is malformed.', { detail: `clientDataJSON: ${detail}` });

/**
 * Checks clientDataJSON (WebAuthn §7.1 steps 5–12, §7.2 steps 9–14): UTF-8 JSON without
 * duplicate keys; `type` the ceremony's; `challenge` the issued bytes (compared in constant time);
 * `origin` one of `expect.origins` exactly; not cross-origin; token binding not in use.
 */
export function checkClientData(bytes: Uint8Array, expect: ClientDataExpectations): ClientData {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed('not UTF-8');
  }
  const json = parseStrictJson(text, malformed);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('not a JSON object');
  const { type, challenge, origin, crossOrigin, topOrigin, tokenBinding } = json as Record<string, unknown>;
  if (typeof type !== 'string' || typeof challenge !== 'string' || typeof origin !== 'string')
    throw malformed('type, challenge or origin missing or not a string');

  if (type !== expect.type) {
    throw contentError('CLIENT_DATA_TYPE_MISMATCH', 'The client data was made for another ceremony.', {
      detail: `type ${JSON.stringify(type).slice(0, 40)}, expected ${expect.type}`,
    });
  }
  // A length of 1 mod 4 is not base64: Buffer would drop the last character and still match.
  if (!BASE64URL.test(challenge) || challenge.replace(/=+$/, '').length % 4 === 1)
    throw malformed('challenge is not base64url');
  const received = Buffer.from(challenge, 'base64url');
  if (received.length !== expect.challenge.length || !timingSafeEqual(received, expect.challenge)) {
    throw contentError('WEBAUTHN_CHALLENGE_MISMATCH', 'The client data was not made for this challenge.');
  }
  if (!expect.origins.includes(origin)) {
    throw trustError('ORIGIN_MISMATCH', 'The client data comes from an origin this server does not serve.', {
      detail: `origin ${JSON.stringify(origin).slice(0, 200)}`,
    });
  }
  if (crossOrigin !== undefined && typeof crossOrigin !== 'boolean') throw malformed('crossOrigin is not a boolean');
  if (crossOrigin === true) {
    throw trustError('CROSS_ORIGIN_REFUSED', 'Credentials cannot be used from a cross-origin frame here.', {
      detail: `topOrigin ${JSON.stringify(topOrigin)?.slice(0, 200)}`,
    });
  }
  if (topOrigin !== undefined && typeof topOrigin !== 'string') throw malformed('topOrigin is not a string');
  if (tokenBinding !== undefined) {
    const status =
      typeof tokenBinding === 'object' && tokenBinding !== null
        ? (tokenBinding as { status?: unknown }).status
        : undefined;
    if (typeof status !== 'string' || !TOKEN_BINDING_STATUSES.has(status))
      throw malformed('tokenBinding has no valid status');
    if (status === 'present')
      throw contentError('TOKEN_BINDING_UNSUPPORTED', 'Token binding is not supported by this server.');
  }

  const result: ClientData = { type, origin, clientDataHash: sha256(bytes) };
  if (crossOrigin !== undefined) result.crossOrigin = crossOrigin;
  if (topOrigin !== undefined) result.topOrigin = topOrigin;
  return result;
}
