import { constants, createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { encode } from 'cbor2';

/**
 * Credential keys of every COSE algorithm Keyward verifies, with signatures made by node:crypto
 * exactly as authenticators make them (ECDSA DER, RSA PKCS#1 v1.5, RSA-PSS with salt = hash
 * length, Ed25519), and the authenticator data and client data around them.
 */

export const RP_ID = 'example.com';
export const ORIGIN = 'https://example.com';
export const CHALLENGE = Buffer.from('a challenge of thirty-two bytes!');

/** cbor2 encodes a Buffer through its toJSON; a plain Uint8Array view encodes as a byte string. */
export const bstr = (bytes: Uint8Array) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** Every algorithm, by COSE id, with what signs it. */
export const ALGORITHMS = {
  ES256: -7,
  ES384: -35,
  ES512: -36,
  EdDSA: -8,
  RS256: -257,
  RS384: -258,
  RS512: -259,
  PS256: -37,
  PS384: -38,
  PS512: -39,
  RS1: -65535,
} as const;

export type AlgorithmName = keyof typeof ALGORITHMS;

const HASHES: Record<AlgorithmName, string | null> = {
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  RS1: 'sha1',
};

const CURVES: Partial<Record<AlgorithmName, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

export interface TestCredential {
  name: AlgorithmName;
  alg: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The COSE_Key entries, for tests that alter one. */
  coseEntries: Map<number, unknown>;
  /** The COSE_Key bytes. */
  cose: Uint8Array;
  /** A signature as an authenticator with this key makes it. */
  sign(data: Uint8Array): Buffer;
}

let rsaKey: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
const credentials = new Map<AlgorithmName, TestCredential>();

/** One credential per algorithm (generated once per test file; the RSA algorithms share a key). */
export function credential(name: AlgorithmName): TestCredential {
  const existing = credentials.get(name);
  if (existing) return existing;
  const curve = CURVES[name];
  const pair =
    curve !== undefined
      ? generateKeyPairSync('ec', { namedCurve: curve })
      : name === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : (rsaKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const alg = ALGORITHMS[name];
  const coseEntries = coseEntriesOf(pair.publicKey, alg);
  const hash = HASHES[name];
  const made: TestCredential = {
    name,
    alg,
    ...pair,
    coseEntries,
    cose: encode(coseEntries),
    sign: (data) =>
      name.startsWith('PS')
        ? sign(hash, data, {
            key: pair.privateKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
          })
        : sign(hash, data, pair.privateKey),
  };
  credentials.set(name, made);
  return made;
}

/** The COSE_Key map of a public key (RFC 9053, RFC 8230). */
export function coseEntriesOf(publicKey: KeyObject, alg: number): Map<number, unknown> {
  const jwk = publicKey.export({ format: 'jwk' });
  const bytes = (value: string | undefined) => bstr(Buffer.from(value ?? '', 'base64url'));
  if (jwk.kty === 'EC') {
    const crv = { 'P-256': 1, 'P-384': 2, 'P-521': 3 }[jwk.crv!]!;
    return new Map<number, unknown>([
      [1, 2],
      [3, alg],
      [-1, crv],
      [-2, bytes(jwk.x)],
      [-3, bytes(jwk.y)],
    ]);
  }
  if (jwk.kty === 'RSA') {
    return new Map<number, unknown>([
      [1, 3],
      [3, alg],
      [-1, bytes(jwk.n)],
      [-2, bytes(jwk.e)],
    ]);
  }
  return new Map<number, unknown>([
    [1, 1],
    [3, alg],
    [-1, 6],
    [-2, bytes(jwk.x)],
  ]);
}

/** The COSE_Key bytes of `entries` with some changed (undefined removes one). */
export function alteredCose(entries: Map<number, unknown>, changes: [number, unknown][]): Uint8Array {
  const copy = new Map(entries);
  for (const [label, value] of changes) {
    if (value === undefined) copy.delete(label);
    else copy.set(label, value);
  }
  return encode(copy);
}

export interface AuthDataParts {
  rpId?: string;
  flags: number;
  counter?: number;
  aaguid?: Uint8Array;
  credentialId?: Uint8Array;
  /** COSE key bytes; with credentialId, written as attested credential data (the AT flag is the caller's). */
  publicKey?: Uint8Array;
  /** Raw bytes after the attested credential data (extensions, or garbage). */
  suffix?: Uint8Array;
}

/** Authenticator data assembled byte by byte, flags as given (so they can lie). */
export function authenticatorData(parts: AuthDataParts): Buffer {
  const header = Buffer.alloc(37);
  sha256(Buffer.from(parts.rpId ?? RP_ID)).copy(header, 0);
  header[32] = parts.flags;
  header.writeUInt32BE(parts.counter ?? 0, 33);
  const chunks: Uint8Array[] = [header];
  if (parts.publicKey) {
    const credentialId = parts.credentialId ?? Buffer.alloc(32, 7);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(credentialId.length);
    chunks.push(parts.aaguid ?? Buffer.alloc(16, 0xaa), length, credentialId, parts.publicKey);
  }
  if (parts.suffix) chunks.push(parts.suffix);
  return Buffer.concat(chunks);
}

/** clientDataJSON as a browser writes it; `fields` replaces or adds members (undefined removes one). */
export function clientDataJSON(fields: Record<string, unknown> = {}): Buffer {
  const data: Record<string, unknown> = {
    type: 'webauthn.get',
    challenge: CHALLENGE.toString('base64url'),
    origin: ORIGIN,
    crossOrigin: false,
    ...fields,
  };
  return Buffer.from(JSON.stringify(data));
}
