import { createPublicKey, type KeyObject } from 'node:crypto';
import { deriveNonce, NONCE_SUFFIXES } from '../../../attestation/dsr/nonce-derivations.js';
import { TagClass, UNIVERSAL, type DerElement } from '../../../crypto/asn1/der.js';
import { parseCsr, type ParsedCsr } from '../../../crypto/x509/csr.js';
import { verifySignature } from '../../../crypto/x509/signatures.js';
import { contentError, trustError } from '../../../errors.js';
import { mtlsKeyFingerprint } from './key-fingerprint.js';
import { constantTimeEqual } from '../../../crypto/bytes.js';

/** PKCS#9 challengePassword. */
export const CHALLENGE_PASSWORD_OID = '1.2.840.113549.1.9.7';

const SUPPORTED_CURVES = new Set(['prime256v1', 'secp384r1']);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** DirectoryString choices a challengePassword may use, decoded as their bytes' text. */
const STRING_TAGS = new Set<number>([UNIVERSAL.UTF8_STRING, UNIVERSAL.PRINTABLE_STRING, UNIVERSAL.IA5_STRING]);

export interface RegistrationCsr {
  csr: ParsedCsr;
  /** The key the client certificate is to be issued for (SubjectPublicKeyInfo DER). */
  spki: Uint8Array;
  /** The device's key fingerprint (= the token's `sub`), see mtlsKeyFingerprint. */
  sub: string;
}

/**
 * The CSR of an RFC-01 registration, checked as gematik's reference GMS checks it
 * (RegisterDeviceService.verifyCSR), plus what it leaves out:
 * 1. `csr` is standard base64 of a DER PKCS#10 request (the token's `csr` claim);
 * 2. it is signed, and the signature verifies with its own key (the reference never checks this);
 * 3. the key is EC P-256 or P-384;
 * 4. the token's `sub` is the key's fingerprint (base64 SHA-256 of the public key bits);
 * 5. its challengePassword is base64(SHA-256(nonce ‖ "CSR_MTLS")). The reference clients put it
 *    in the *subject* as an attribute of its own (iOS CSRHelper; the GMS reads the subject's RDNs
 *    of type 1.2.840.113549.1.9.7 and base64-decodes the value); a PKCS#9 request attribute (what
 *    openssl writes) is accepted too. Exactly one must be present. The text is compared as the
 *    canonical padded base64 both reference clients write.
 * `nonce` is the registration nonce's bytes (the base64 the GMS handed out, decoded).
 */
export function checkRegistrationCsr(input: { csr: string; sub: string; nonce: Uint8Array }): RegistrationCsr {
  const csr = parseCsr(decodeCsr(input.csr));
  const key = csrKey(csr);
  if (!csr.signature || !verifySignature(csr.signature.algorithm, csr.info, csr.signature.value, key))
    throw trustError('DSR_CSR_SIGNATURE_INVALID', 'The certificate request signature is invalid.', {
      detail: csr.signature ? `signature (${csr.signature.algorithm}) does not verify` : 'unsigned request',
    });

  const sub = mtlsKeyFingerprint(csr.spki);
  if (!equalText(sub, input.sub))
    throw trustError('DSR_CSR_SUB_MISMATCH', 'The certificate request is not for the key named by sub.', {
      detail: `sub ${JSON.stringify(input.sub.slice(0, 64))}, CSR key fingerprint ${sub}`,
    });

  const passwords = challengePasswords(csr);
  if (passwords.length !== 1)
    throw contentError(
      'DSR_CSR_CHALLENGE_MISSING',
      'The certificate request does not carry exactly one challengePassword.',
      { detail: `${passwords.length} challengePassword values` },
    );
  const expected = deriveNonce(input.nonce, NONCE_SUFFIXES.csrMtls).toString('base64');
  if (!equalText(expected, passwords[0]!))
    throw trustError('DSR_CSR_CHALLENGE_MISMATCH', 'The certificate request was not made for this registration.', {
      detail: 'challengePassword is not the CSR_MTLS derivation of the nonce',
    });

  return { csr, spki: csr.spki, sub };
}

function decodeCsr(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (text.length % 4 !== 0 || !BASE64.test(text) || bytes.toString('base64') !== text)
    throw contentError('MALFORMED_CSR', 'The certificate request is malformed.', {
      detail: 'csr claim is not canonical standard base64',
    });
  return bytes;
}

function csrKey(csr: ParsedCsr): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(csr.spki), format: 'der', type: 'spki' });
  } catch {
    throw contentError('DSR_CSR_KEY_UNSUPPORTED', 'The certificate request key is not supported.', {
      detail: `key algorithm ${csr.keyAlgorithmOid} not importable`,
    });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || !curve || !SUPPORTED_CURVES.has(curve))
    throw contentError('DSR_CSR_KEY_UNSUPPORTED', 'The certificate request key is not supported.', {
      detail: `key ${key.asymmetricKeyType} ${curve ?? ''}`.trim(),
    });
  return key;
}

/** Every challengePassword the request carries: in its subject, and as request attributes (each value of each). */
function challengePasswords(csr: ParsedCsr): string[] {
  const fromAttributes = csr.attributes
    .filter((attribute) => attribute.type === CHALLENGE_PASSWORD_OID)
    .flatMap((attribute) => attribute.values.map(attributeText));
  return [...csr.subjectValues(CHALLENGE_PASSWORD_OID), ...fromAttributes];
}

/** A DirectoryString value as text; any other element counts as a value that matches nothing. */
const attributeText = (value: DerElement): string =>
  value.tagClass === TagClass.Universal && STRING_TAGS.has(value.tag) && !value.constructed
    ? Buffer.from(value.content).toString('utf8')
    : '';

function equalText(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return constantTimeEqual(a, b);
}
