import { X509Certificate } from 'node:crypto';
import { decode, encode } from 'cbor2';
import { AppleVerifier, type AppleVerifierOptions } from '../../src/attestation/apple/verify.js';
import { appleVerifierOptions, type AppleExtraAnchors } from '../../src/config/apple-verifier.js';
import type { AppleConfig } from '../../src/config/apple.js';
import { loadConfig } from '../../src/config/load.js';
import type { AppleTestAuthority } from '../../src/simulator/apple/test-authority.js';

/** Verifier options from the documented defaults with `overrides`, as a deployment would configure them. */
export function options(overrides: Partial<AppleConfig>, extras: AppleExtraAnchors = {}): AppleVerifierOptions {
  return appleVerifierOptions({ ...loadConfig({ env: {} }).config.apple, ...overrides }, extras);
}

/** The same, trusting `authority`'s attestation and receipt roots (a simulated device's). */
export function trustingOptions(authority: AppleTestAuthority, overrides: Partial<AppleConfig>): AppleVerifierOptions {
  return options(overrides, { extraAnchors: authority.anchors(), extraReceiptAnchors: authority.receiptAnchors() });
}

/** A verifier with `options(overrides, extras)`. */
export const verifier = (overrides: Partial<AppleConfig>, extras: AppleExtraAnchors = {}): AppleVerifier =>
  new AppleVerifier(options(overrides, extras));

/** A verifier with `trustingOptions(authority, overrides)`. */
export const trustingVerifier = (authority: AppleTestAuthority, overrides: Partial<AppleConfig>): AppleVerifier =>
  new AppleVerifier(trustingOptions(authority, overrides));

/** The attestation object decoded with the library (not with the code under test), to take apart or rebuild. */
export interface DecodedAttestation {
  fmt: string;
  x5c: Uint8Array[];
  receipt: Uint8Array;
  authData: Uint8Array;
}

export function decodeAttestation(bytes: Uint8Array): DecodedAttestation {
  const object = decode(bytes, { preferMap: true }) as Map<string, any>;
  const statement = object.get('attStmt') as Map<string, any>;
  return {
    fmt: object.get('fmt'),
    x5c: statement.get('x5c'),
    receipt: statement.get('receipt'),
    authData: object.get('authData'),
  };
}

const plain = (bytes: Uint8Array) => new Uint8Array(bytes);

export function encodeAttestation(parts: DecodedAttestation): Buffer {
  const statement = new Map<string, unknown>([
    ['x5c', parts.x5c.map(plain)],
    ['receipt', plain(parts.receipt)],
  ]);
  return Buffer.from(
    encode(
      new Map<string, unknown>([
        ['fmt', parts.fmt],
        ['attStmt', statement],
        ['authData', plain(parts.authData)],
      ]),
    ),
  );
}

/** credCert's validity as node:crypto (OpenSSL) reads it: an oracle independent of the verifier's own reader. */
export function credentialValidity(attestation: Uint8Array): { notBefore: number; notAfter: number } {
  const certificate = new X509Certificate(decodeAttestation(attestation).x5c[0]!);
  return { notBefore: Date.parse(certificate.validFrom), notAfter: Date.parse(certificate.validTo) };
}
