import { createHmac, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { parseStrictJson } from '../strict-json.js';

export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** ASCII(BASE64URL(header) '.' BASE64URL(payload)): what the signature covers. */
  signingInput: Buffer;
  signature: Buffer;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** Default bound: tokens (device, MDVM, App Attest client data) are small; callers with larger documents pass their own. */
const MAX_LENGTH = 16_384;

export interface DecodeOptions {
  /** Longest token accepted, in characters (default 16 KiB). */
  maxLength?: number;
}

/** Strict unpadded base64url: the segment must be exactly what re-encoding its bytes gives. */
function segment(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (!SEGMENT.test(text) || bytes.toString('base64url') !== text) throw new SyntaxError(`${what} is not base64url`);
  return bytes;
}

/** Duplicate members refused: a first-wins reader of the same token must not see other claims than the verified ones. */
function json(bytes: Buffer, what: string): Record<string, unknown> {
  const value = parseStrictJson(bytes.toString('utf8'), (detail) => new SyntaxError(`${what}: ${detail}`));
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SyntaxError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Splits a compact JWS (RFC 7515 §7.1) and decodes its header and JSON payload; anything
 * malformed throws what `malformed` makes of the reason (a SyntaxError by default). No
 * verification here: see `verifyEs256` and `verifyHs256`.
 */
export function decodeCompactJws(
  token: string,
  malformed: (detail: string) => Error = (detail) => new SyntaxError(detail),
  options: DecodeOptions = {},
): DecodedJws {
  try {
    return decode(token, options.maxLength ?? MAX_LENGTH);
  } catch (error) {
    throw malformed((error as Error).message);
  }
}

function decode(token: string, maxLength: number): DecodedJws {
  if (token.length > maxLength) throw new SyntaxError(`token longer than ${maxLength} characters`);
  const parts = token.split('.');
  if (parts.length !== 3) throw new SyntaxError('not three dot-separated segments');
  const [header, payload, signature] = parts as [string, string, string];
  return {
    header: json(segment(header, 'header'), 'header'),
    payload: json(segment(payload, 'payload'), 'payload'),
    signingInput: Buffer.from(`${header}.${payload}`, 'ascii'),
    signature: segment(signature, 'signature'),
  };
}

/**
 * ES256 (RFC 7518 §3.4): ECDSA P-256 with SHA-256, signature R‖S (64 bytes). Synchronous
 * node:crypto — on a relying backend's hot path WebCrypto's asynchronous verify costs several
 * times as much.
 */
export function verifyEs256(jws: DecodedJws, key: KeyObject): boolean {
  if (jws.signature.length !== 64 || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
  return verify('sha256', jws.signingInput, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
}

const encodeJson = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS over `payload` (JSON), signed synchronously: ES256 with an EC P-256 private key, HS256 with a secret. */
export function signCompactJws(
  header: { alg: 'ES256' | 'HS256' } & Record<string, unknown>,
  payload: object,
  key: KeyObject | Buffer,
): string {
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  const signature =
    header.alg === 'HS256'
      ? createHmac('sha256', key as Buffer)
          .update(signingInput)
          .digest()
      : sign('sha256', Buffer.from(signingInput, 'ascii'), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** HS256 (RFC 7518 §3.2), compared in constant time. */
export function verifyHs256(jws: DecodedJws, secret: Buffer): boolean {
  const expected = createHmac('sha256', secret).update(jws.signingInput).digest();
  return jws.signature.length === expected.length && timingSafeEqual(jws.signature, expected);
}
