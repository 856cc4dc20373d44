import { type KeyObject, timingSafeEqual } from 'node:crypto';
import { decodeCbor } from '../../../attestation/cbor.js';
import { DerReader, TagClass, UNIVERSAL } from '../../../crypto/asn1/der.js';
import { publicKeyToCoseKey } from '../../../crypto/cose/cose-key.js';
import { parseCertificate, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { verifySignature } from '../../../crypto/x509/signatures.js';
import { contentError, isKeywardError, timeError, trustError } from '../../../errors.js';

/**
 * Auth-key certificates (PROTOCOLS.md §7): for each authentication key it wants certified, the
 * device sends an X.509 certificate of that key signed by its CredentialKey, carrying
 * ProofOfBinding = ["ProofOfBinding", bstr SHA-256(ProofOfProvisioning payload)] under
 * OID 1.3.6.1.4.1.11129.2.1.26. The hash ties the auth key to the exact provisioning the system
 * of record stored for this credential.
 *
 * Where the CBOR sits: the Identity Credential HAL adds the extension with OpenSSL's
 * X509_add1_ext_i2d of an ASN1_OCTET_STRING, so extnValue holds a DER OCTET STRING whose
 * content is the CBOR (what the reference server's later util.py unwraps); the reference
 * server's earlier tests put the CBOR directly in extnValue. Both are read: a DER OCTET STRING
 * starts with 0x04 and ProofOfBinding (a CBOR array) with 0x82, so the two cannot be confused.
 */

export const PROOF_OF_BINDING_OID = '1.3.6.1.4.1.11129.2.1.26';

export interface CertifiedAuthKey {
  /** The certificate as received. */
  certificate: Uint8Array;
  publicKey: KeyObject;
  /** The auth key as the MSO's deviceKeyInfo.deviceKey states it. */
  coseKey: Map<number, number | Uint8Array>;
  /** SHA-256 (hex) of the auth key's SubjectPublicKeyInfo. */
  fingerprint: string;
  /** The certificate's notAfter (epoch ms): the device stops using the key then. */
  notAfter: number;
}

/**
 * Verifies one auth-key certificate, in order: it parses and holds an EC P-256 key → its
 * signature verifies with the CredentialKey → it has not expired at `at` → it carries
 * ProofOfBinding → ProofOfBinding is ["ProofOfBinding", bstr] → the hash equals
 * `proofOfProvisioningSha256`. notBefore is not checked: devices stamp it with their own clock,
 * which may run ahead of Keyward's.
 */
export function verifyAuthKeyCertificate(
  der: Uint8Array,
  credentialKey: KeyObject,
  proofOfProvisioningSha256: Uint8Array,
  at: number,
): CertifiedAuthKey {
  const certificate = parseAuthKeyCertificate(der);
  let signed = false;
  try {
    signed = verifySignature(certificate.signatureAlgorithm, certificate.tbs, certificate.signature, credentialKey);
  } catch {
    signed = false;
  }
  if (!signed) {
    throw trustError(
      'PROVISIONING_AUTH_KEY_CERT_NOT_SIGNED_BY_CREDENTIAL_KEY',
      'The auth-key certificate is not signed by the CredentialKey.',
      { detail: `signature algorithm ${certificate.signatureAlgorithm}` },
    );
  }
  if (certificate.notAfter < at) {
    throw timeError('PROVISIONING_AUTH_KEY_CERT_EXPIRED', 'The auth-key certificate has expired.', {
      detail: `notAfter ${new Date(certificate.notAfter).toISOString()}`,
    });
  }
  const hash = proofOfBindingHash(certificate);
  if (hash.length !== proofOfProvisioningSha256.length || !timingSafeEqual(hash, proofOfProvisioningSha256)) {
    throw trustError(
      'PROVISIONING_PROOF_OF_BINDING_MISMATCH',
      'The auth key is not bound to the provisioned credential.',
      { detail: 'ProofOfBinding hash differs from SHA-256 of the stored ProofOfProvisioning' },
    );
  }
  const publicKey = certificate.publicKey();
  return {
    certificate: der,
    publicKey,
    coseKey: publicKeyToCoseKey(publicKey),
    fingerprint: certificate.spkiFingerprint,
    notAfter: certificate.notAfter,
  };
}

/** Verifies every certificate of one CertifyAuthKeysSendCerts; the same auth key twice is refused. */
export function verifyAuthKeyCertificates(
  certificates: readonly Uint8Array[],
  credentialKey: KeyObject,
  proofOfProvisioningSha256: Uint8Array,
  at: number,
): CertifiedAuthKey[] {
  const seen = new Set<string>();
  return certificates.map((der, index) => {
    const key = verifyAuthKeyCertificate(der, credentialKey, proofOfProvisioningSha256, at);
    if (seen.has(key.fingerprint)) {
      throw contentError('PROVISIONING_AUTH_KEY_CERT_DUPLICATE', 'The same auth key is sent twice.', {
        detail: `authKeyCerts[${index}] repeats auth key ${key.fingerprint}`,
      });
    }
    seen.add(key.fingerprint);
    return key;
  });
}

function parseAuthKeyCertificate(der: Uint8Array): ParsedCertificate {
  let certificate: ParsedCertificate;
  try {
    certificate = parseCertificate(der, 'PROVISIONING_AUTH_KEY_CERT_MALFORMED', { cache: false });
  } catch (error) {
    if (isKeywardError(error) && error.code === 'PROVISIONING_AUTH_KEY_CERT_MALFORMED') throw error;
    throw contentError('PROVISIONING_AUTH_KEY_CERT_MALFORMED', 'The auth-key certificate is malformed.', {
      detail: (error as Error).message,
      cause: error,
    });
  }
  if (certificate.keyAlgorithm !== 'EC' || certificate.curve !== 'P-256') {
    throw contentError('PROVISIONING_AUTH_KEY_CERT_MALFORMED', 'The auth key is not an EC P-256 key.', {
      detail: `auth key ${certificate.keyAlgorithm} ${certificate.curve ?? ''}`.trim(),
    });
  }
  return certificate;
}

/** The hash ProofOfBinding states. */
function proofOfBindingHash(certificate: ParsedCertificate): Uint8Array {
  const extension = certificate.extension(PROOF_OF_BINDING_OID);
  if (!extension) {
    throw trustError('PROVISIONING_PROOF_OF_BINDING_MISSING', 'The auth-key certificate carries no ProofOfBinding.');
  }
  const malformed = (detail: string) =>
    contentError('PROVISIONING_PROOF_OF_BINDING_MALFORMED', 'The ProofOfBinding is malformed.', { detail });
  let cbor = extension.value;
  if (cbor[0] === 0x04) {
    const reader = new DerReader(cbor, 'PROVISIONING_PROOF_OF_BINDING_MALFORMED');
    const inner = reader.expect(TagClass.Universal, UNIVERSAL.OCTET_STRING, 'ProofOfBinding');
    reader.end('ProofOfBinding');
    if (inner.constructed) throw malformed('constructed OCTET STRING');
    cbor = inner.content;
  }
  const plain = new Uint8Array(cbor.buffer, cbor.byteOffset, cbor.byteLength);
  const value = decodeCbor(plain, 'PROVISIONING_PROOF_OF_BINDING_MALFORMED', 'ProofOfBinding', 2);
  if (!Array.isArray(value) || value.length !== 2 || value[0] !== 'ProofOfBinding') {
    throw malformed('not ["ProofOfBinding", bstr]');
  }
  const hash = value[1];
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw malformed('the hash is not a 32-byte bstr');
  return hash;
}
