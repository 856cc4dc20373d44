/**
 * Operator password hashes: scrypt, encoded as `scrypt$N$r$p$<salt>$<key>` (base64url) so that the
 * parameters of every stored hash are known when the defaults change later.
 */
import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/bytes.js';

interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB and roughly 50–100 ms per hash. */
const CURRENT: ScryptParameters = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuses encodings that would make one verification take more memory than this (a corrupted row). */
const MAX_MEMORY = 256 * 1024 * 1024;

const memoryOf = ({ N, r }: ScryptParameters) => 128 * N * r;

function derive(password: string, salt: Buffer, keyBytes: number, parameters: ScryptParameters): Promise<Buffer> {
  // OpenSSL needs 128 × r × (N + p + 2) bytes: just over Node's default maxmem (32 MiB) at N = 2^15, r = 8.
  const options: ScryptOptions = { ...parameters, maxmem: 2 * memoryOf(parameters) };
  // NFC: the same password typed on different systems may arrive composed or decomposed.
  const input = password.normalize('NFC');
  return new Promise((resolve, reject) =>
    scrypt(input, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

const encode = ({ N, r, p }: ScryptParameters, salt: Buffer, key: Buffer) =>
  `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;

/** Base64url without padding, exactly as encode writes it (Buffer.from would skip stray characters). */
function bytesOf(text: string | undefined, min: number, max: number): Buffer | undefined {
  if (text === undefined || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length >= min && bytes.length <= max && bytes.toString('base64url') === text ? bytes : undefined;
}

function decode(encoded: string): { parameters: ScryptParameters; salt: Buffer; key: Buffer } | undefined {
  const [scheme, n, r, p, salt, key, ...rest] = encoded.split('$');
  if (scheme !== 'scrypt' || rest.length > 0) return undefined;
  const integer = (text: string | undefined) => (text && /^[1-9]\d{0,7}$/.test(text) ? Number(text) : 0);
  const parameters = { N: integer(n), r: integer(r), p: integer(p) };
  const powerOfTwo = parameters.N > 1 && (parameters.N & (parameters.N - 1)) === 0;
  if (!powerOfTwo || !parameters.r || !parameters.p || parameters.p > 16 || memoryOf(parameters) > MAX_MEMORY)
    return undefined;
  const saltBytes = bytesOf(salt, 1, 64);
  const keyBytes = bytesOf(key, 16, 64);
  return saltBytes && keyBytes ? { parameters, salt: saltBytes, key: keyBytes } : undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return encode(CURRENT, salt, await derive(password, salt, KEY_BYTES, CURRENT));
}

/** False for a wrong password and for an encoding this module cannot read. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const decoded = decode(encoded);
  if (!decoded) return false;
  const key = await derive(password, decoded.salt, decoded.key.length, decoded.parameters);
  return constantTimeEqual(key, decoded.key);
}

/**
 * What to verify against when there is no account: the current parameters, so an unknown user
 * name costs as much as a known one. No password is known to derive its all-zero key.
 */
export const DUMMY_HASH = encode(CURRENT, Buffer.alloc(SALT_BYTES), Buffer.alloc(KEY_BYTES));
