import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { assertChainLength } from '../../../crypto/x509/chain.js';
import { contentError } from '../../../errors.js';
import { coseAlgorithm, keyFitsAlgorithm } from '../cose-key.js';

/**
 * Reading an attestation statement (attStmt) by its format's CDDL (WebAuthn §8): the statement
 * holds exactly the format's keys, each of its type, before any signature is checked.
 */

export const statementMalformed = (fmt: string, detail: string) =>
  contentError('ATTESTATION_STATEMENT_MALFORMED', 'The attestation statement is malformed.', {
    detail: `${fmt}: ${detail}`,
  });

/** Refuses keys the format does not define and missing `required` ones. */
export function assertStatementKeys(
  attStmt: Map<unknown, unknown>,
  fmt: string,
  keys: { required: readonly string[]; optional?: readonly string[] },
): void {
  for (const key of attStmt.keys()) {
    if (typeof key !== 'string' || (!keys.required.includes(key) && !keys.optional?.includes(key)))
      throw statementMalformed(fmt, `unexpected attStmt key ${String(key)}`);
  }
  for (const key of keys.required) if (!attStmt.has(key)) throw statementMalformed(fmt, `attStmt has no ${key}`);
}

/** A byte string field. */
export function bytesField(attStmt: Map<unknown, unknown>, fmt: string, key: string): Uint8Array {
  const value = attStmt.get(key);
  if (!(value instanceof Uint8Array) || value.length === 0)
    throw statementMalformed(fmt, `${key} is not a non-empty byte string`);
  return value;
}

/** The COSE algorithm identifier field `alg`. */
export function algField(attStmt: Map<unknown, unknown>, fmt: string): number {
  const value = attStmt.get('alg');
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw statementMalformed(fmt, 'alg is not an integer');
  return value;
}

/** `x5c`: a non-empty array of DER certificates, leaf first, at most `maxLength` long. */
export function x5cField(attStmt: Map<unknown, unknown>, fmt: string, maxLength: number): Uint8Array[] {
  const value = attStmt.get('x5c');
  if (!Array.isArray(value) || !value.every((item) => item instanceof Uint8Array && item.length > 0))
    throw statementMalformed(fmt, 'x5c is not an array of byte strings');
  assertChainLength(value.length, maxLength);
  return value as Uint8Array[];
}

/**
 * Parses x5c: the leaf on its own (it is new with almost every registration), the CAs above it
 * through the certificate cache (they repeat across authenticators).
 */
export const parseTrustPath = (x5c: readonly Uint8Array[]): ParsedCertificate[] =>
  x5c.map((der, index) => parseCertificate(der, 'MALFORMED_CERTIFICATE', { cache: index > 0 }));

/**
 * The statement's `alg` is one Keyward verifies and the certificate's key can sign with (an EC
 * key cannot make an RS256 signature). As with verifyWithAlgorithm, the curve of an ECDSA key is
 * the certificate's to choose.
 */
export function assertAlgorithmFitsCertificate(alg: number, certificate: ParsedCertificate, fmt: string): void {
  if (!keyFitsAlgorithm(coseAlgorithm(alg), certificate.publicKey())) {
    throw contentError(
      'ATTESTATION_ALGORITHM_MISMATCH',
      "The attestation statement's algorithm does not match the attestation certificate's key.",
      { detail: `${fmt}: alg ${alg}, certificate key ${certificate.keyAlgorithm} ${certificate.curve ?? ''}`.trim() },
    );
  }
}

/** The concatenation authenticatorData ‖ clientDataHash that packed, apple and tpm statements cover. */
export const signedData = (authData: Uint8Array, clientDataHash: Uint8Array): Buffer =>
  Buffer.concat([authData, clientDataHash]);
