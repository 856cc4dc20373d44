import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encode } from 'cbor2';
import * as der from '../../src/crypto/asn1/der-writer.js';
import { spkiOf } from '../../src/crypto/keys.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
  type Extension,
  type Signer,
} from '../../src/crypto/x509/certificate-builder.js';
import { parseCertificate, type ParsedCertificate } from '../../src/crypto/x509/certificate.js';
import {
  decodeAttestationObject,
  type RegistrationAttestationObject,
} from '../../src/attestation/webauthn/attestation-object.js';
import { parseAuthenticatorData } from '../../src/attestation/webauthn/authenticator-data.js';
import type {
  FormatContext,
  FormatInput,
  FormatVerifier,
  WebAuthnRegistrationInput,
} from '../../src/attestation/webauthn/types.js';
import { TrustAnchors } from '../../src/crypto/x509/chain.js';
import { isKeywardError } from '../../src/errors.js';
import { readVector } from '../helpers/vectors.js';

/**
 * Registrations made here with node:crypto and the certificate builder, byte for byte as an
 * authenticator and a browser would make them, so that each test can break exactly one thing.
 */

export const RP_ID = 'example.com';
export const ORIGIN = 'https://example.com';
export const CHALLENGE = Buffer.from('registration challenge for the tests');
export const NOW = Date.UTC(2025, 5, 1);
const DAY = 24 * 3600 * 1000;
const YEAR = 365 * DAY;

const plain = (bytes: Uint8Array) => new Uint8Array(bytes);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const ecKey = (curve = 'P-256'): KeyPair => generateKeyPairSync('ec', { namedCurve: curve });

/** The COSE_Key (RFC 9053) of an EC P-256/P-384, RSA or Ed25519 public key. */
export function coseKey(publicKey: KeyObject, alg?: number): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const bytes = (value: string | undefined) => plain(Buffer.from(value ?? '', 'base64url'));
  let map: Map<number, unknown>;
  if (jwk.kty === 'EC') {
    const crv = { 'P-256': 1, 'P-384': 2, 'P-521': 3 }[jwk.crv!]!;
    map = new Map<number, unknown>([
      [1, 2],
      [3, alg ?? { 1: -7, 2: -35, 3: -36 }[crv]!],
      [-1, crv],
      [-2, bytes(jwk.x)],
      [-3, bytes(jwk.y)],
    ]);
  } else if (jwk.kty === 'RSA') {
    map = new Map<number, unknown>([
      [1, 3],
      [3, alg ?? -257],
      [-1, bytes(jwk.n)],
      [-2, bytes(jwk.e)],
    ]);
  } else {
    map = new Map<number, unknown>([
      [1, 1],
      [3, alg ?? -8],
      [-1, 6],
      [-2, bytes(jwk.x)],
    ]);
  }
  return encode(map);
}

export interface AuthDataOptions {
  rpId?: string;
  flags?: number;
  counter?: number;
  aaguid?: Uint8Array;
  credentialId?: Uint8Array;
  credentialKey?: Uint8Array;
  /** Omit the attested credential data (and the AT flag). */
  noCredential?: boolean;
}

export const UP = 0x01;
export const UV = 0x04;
export const BE = 0x08;
export const BS = 0x10;
const AT = 0x40;

export function authenticatorData(options: AuthDataOptions & { credentialKey: Uint8Array }): Buffer {
  const header = Buffer.alloc(37);
  sha256(Buffer.from(options.rpId ?? RP_ID)).copy(header, 0);
  header[32] = (options.flags ?? UP | UV) | (options.noCredential ? 0 : AT);
  header.writeUInt32BE(options.counter ?? 0, 33);
  if (options.noCredential) return header;
  const credentialId = options.credentialId ?? Buffer.alloc(32, 7);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(credentialId.length);
  return Buffer.concat([header, options.aaguid ?? Buffer.alloc(16), length, credentialId, options.credentialKey]);
}

export function clientDataJSON(overrides: { type?: string; challenge?: Uint8Array; origin?: string } = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      type: overrides.type ?? 'webauthn.create',
      challenge: Buffer.from(overrides.challenge ?? CHALLENGE).toString('base64url'),
      origin: overrides.origin ?? ORIGIN,
      crossOrigin: false,
    }),
  );
}

/** cbor2 encodes a Buffer as something other than a byte string: plain Uint8Arrays all the way down. */
function plainDeep(value: unknown): unknown {
  if (value instanceof Uint8Array) return plain(value);
  if (Array.isArray(value)) return value.map(plainDeep);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [key, plainDeep(item)]));
  return value;
}

export function attestationObject(fmt: string, attStmt: Map<string, unknown>, authData: Uint8Array): Buffer {
  return Buffer.from(
    encode(
      new Map<string, unknown>([
        ['fmt', fmt],
        ['attStmt', plainDeep(attStmt)],
        ['authData', plain(authData)],
      ]),
    ),
  );
}

/** authenticatorData(options), parsed as a format verifier receives it. */
export const parsedAuthenticatorData = (options: AuthDataOptions & { credentialKey: Uint8Array }) =>
  parseAuthenticatorData(new Uint8Array(authenticatorData(options))) as FormatInput['authData'];

export interface Registration {
  input: WebAuthnRegistrationInput;
  authData: Buffer;
  clientDataHash: Buffer;
}

/** A registration whose attStmt is made by `statement` from authData and clientDataHash. */
export function registration(
  fmt: string,
  statement: (authData: Buffer, clientDataHash: Buffer) => Map<string, unknown>,
  options: AuthDataOptions & { credential?: KeyPair; clientData?: Buffer } = {},
): Registration {
  const credential = options.credential ?? ecKey();
  const authData = authenticatorData({
    ...options,
    credentialKey: options.credentialKey ?? coseKey(credential.publicKey),
  });
  const clientData = options.clientData ?? clientDataJSON();
  const clientDataHash = sha256(clientData);
  const credentialId = options.credentialId ?? Buffer.alloc(32, 7);
  return {
    input: {
      id: Buffer.from(credentialId).toString('base64url'),
      clientDataJSON: clientData,
      attestationObject: attestationObject(fmt, statement(authData, clientDataHash), authData),
    },
    authData,
    clientDataHash,
  };
}

/** An ECDSA (DER) or RSA PKCS#1 v1.5 signature with SHA-256 (SHA-384 for P-384 keys). */
export function signWith(key: KeyObject, data: Uint8Array): Uint8Array {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp384r1' ? 'sha384' : key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return plain(sign(hash, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key));
}

/** A test CA: its key, certificate and what it signs with. */
export interface TestCa {
  key: KeyPair;
  der: Buffer;
  certificate: ParsedCertificate;
  signer: Signer;
}

/** A CA certificate for `key` (basicConstraints, keyUsage, then `extra`), issued by `issuer` or self-signed. */
function caCertificate(
  key: KeyPair,
  subject: readonly (readonly [string, string])[],
  validity: { notBefore: number; notAfter: number },
  extra: Extension[],
  issuer?: Signer,
): TestCa {
  const subjectDer = encodeName(subject);
  const spki = spkiOf(key.publicKey);
  const signer: Signer = { key: key.privateKey, subjectDer, keyIdentifier: keyIdentifier(spki) };
  const der = buildCertificate(
    {
      serial: randomSerial(),
      subjectDer,
      spki,
      ...validity,
      extensions: [extensions.basicConstraints(true), extensions.keyUsage(5, 6), ...extra],
    },
    issuer ?? signer,
  );
  return { key, der, certificate: parseCertificate(der), signer };
}

export function testCa(name: string, issuer?: TestCa, key: KeyPair = ecKey()): TestCa {
  return caCertificate(
    key,
    [
      ['2.5.4.6', 'US'],
      ['2.5.4.10', 'Keyward Tests'],
      ['2.5.4.3', name],
    ],
    { notBefore: NOW - 2 * YEAR, notAfter: NOW + 10 * YEAR },
    [extensions.subjectKeyIdentifier(keyIdentifier(spkiOf(key.publicKey)))],
    issuer?.signer,
  );
}

/**
 * A bare self-signed root for `key`: a CN only, basicConstraints and keyUsage (no key identifiers),
 * valid a year either side of NOW.
 */
export const selfSignedRoot = (name: string, key: KeyPair): TestCa =>
  caCertificate(key, [['2.5.4.3', name]], { notBefore: NOW - 365 * DAY, notAfter: NOW + 365 * DAY }, []);

/** The id-fido-gen-ce-aaguid extension (an OCTET STRING inside extnValue). */
export const aaguidExtension = (aaguid: Uint8Array, critical = false): Extension => ({
  oid: '1.3.6.1.4.1.45724.1.1.4',
  critical,
  value: der.octetString(aaguid),
});

export const PACKED_SUBJECT: readonly (readonly [string, string])[] = [
  ['2.5.4.6', 'US'],
  ['2.5.4.10', 'Keyward Tests'],
  ['2.5.4.11', 'Authenticator Attestation'],
  ['2.5.4.3', 'Keyward Test Authenticator'],
];

/** An attestation (leaf) certificate for `key`, issued by `issuer`. */
export function leafCertificate(
  issuer: TestCa,
  key: KeyPair,
  options: {
    subject?: readonly (readonly [string, string])[];
    extensions?: Extension[];
    notBefore?: number;
    notAfter?: number;
  } = {},
): Buffer {
  return buildCertificate(
    {
      serial: randomSerial(),
      subjectDer: encodeName(options.subject ?? PACKED_SUBJECT),
      spki: spkiOf(key.publicKey),
      notBefore: options.notBefore ?? NOW - YEAR,
      notAfter: options.notAfter ?? NOW + 5 * YEAR,
      extensions: options.extensions ?? [extensions.basicConstraints(false)],
    },
    issuer.signer,
  );
}

/** packed full attestation: the leaf's key signs authData ‖ clientDataHash. */
export const packedFull =
  (leafKey: KeyPair, x5c: readonly Uint8Array[], alg = -7) =>
  (authData: Buffer, clientDataHash: Buffer) =>
    new Map<string, unknown>([
      ['alg', alg],
      ['sig', signWith(leafKey.privateKey, Buffer.concat([authData, clientDataHash]))],
      ['x5c', x5c.map(plain)],
    ]);

/** packed self attestation: the credential key signs authData ‖ clientDataHash. */
export const packedSelf =
  (credential: KeyPair, alg = -7) =>
  (authData: Buffer, clientDataHash: Buffer) =>
    new Map<string, unknown>([
      ['alg', alg],
      ['sig', signWith(credential.privateKey, Buffer.concat([authData, clientDataHash]))],
    ]);

export const AAGUID = Buffer.from('6b6579776172642d746573742d303031', 'hex');
export const AAGUID_TEXT = '6b657977-6172-642d-7465-73742d303031';

/** The format verifier's input for `made`, decoded by the attestation object parser. */
export function formatInput(made: Registration, at = NOW): FormatInput {
  const object = decodeAttestationObject(made.input.attestationObject);
  return { attStmt: object.attStmt, authData: object.authData, clientDataHash: made.clientDataHash, at };
}

/** A format context with `roots` for every format. */
export const formatContext = (roots: TrustAnchors = new TrustAnchors([])): FormatContext => ({
  rootsFor: () => roots,
  requireCtsProfileMatch: true,
  safetynetMaxAgeMs: 60_000,
  maxChainLength: 5,
});

/** The attestation statement of `made`, to tamper with. */
export function statementOf(made: Registration): Map<string, unknown> {
  return decodeAttestationObject(made.input.attestationObject).attStmt as Map<string, unknown>;
}

/** `made` with its attestation statement replaced. */
export function withStatement(made: Registration, attStmt: Map<string, unknown>): Registration {
  const fmt = decodeAttestationObject(made.input.attestationObject).fmt;
  return { ...made, input: { ...made.input, attestationObject: attestationObject(fmt, attStmt, made.authData) } };
}

/** `format`'s verify over `made` with the default format context (a promise either way), and the refusal it ends in. */
export function formatTester(format: FormatVerifier) {
  const verify = (made: Registration) =>
    Promise.resolve().then(() => format.verify(formatInput(made), formatContext()));
  async function refusal(made: Registration): Promise<{ category: string; code: string }> {
    const error = await verify(made).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!isKeywardError(error)) throw new Error(`expected a KeywardError, got ${String(error)}`);
    return { category: error.category, code: error.code };
  }
  return { verify, refusal };
}

/** What `run` throws or rejects with; the test fails when it succeeds. */
export async function failure(run: () => unknown): Promise<{ code: string; category: string; detail?: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code: string; category: string };
  }
  throw new Error('expected a failure');
}

/** A SimpleWebAuthn registration from test/vectors, its attestation object decoded. */
export interface DecodedVector {
  name: string;
  verifyAt: string | null;
  object: RegistrationAttestationObject;
  clientDataHash: Buffer;
}

/** Every SimpleWebAuthn registration in test/vectors/webauthn, decoded. */
export function decodedVectors(): DecodedVector[] {
  const vectors = JSON.parse(readVector('webauthn/simplewebauthn-registrations.json')) as {
    name: string;
    verifyAt: string | null;
    response: string | { response: { attestationObject: string; clientDataJSON: string } };
  }[];
  return vectors.map((vector) => {
    const response = typeof vector.response === 'string' ? JSON.parse(vector.response) : vector.response;
    return {
      name: vector.name,
      verifyAt: vector.verifyAt,
      object: decodeAttestationObject(Buffer.from(response.response.attestationObject, 'base64url')),
      clientDataHash: sha256(Buffer.from(response.response.clientDataJSON, 'base64url')),
    };
  });
}

/** The decoded SimpleWebAuthn registration named `name`. */
export const decodedVector = (name: string): DecodedVector =>
  decodedVectors().find((candidate) => candidate.name === name)!;
