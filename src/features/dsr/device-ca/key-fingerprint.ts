import { createHash } from 'node:crypto';
import { DerReader, TagClass, UNIVERSAL } from '../../../crypto/asn1/der.js';

/**
 * A DSR device's `sub`: the fingerprint of its mTLS public key as gematik's reference computes it
 * (client DeviceRegistrationJwt / iOS TrustService, GMS CertificateAndKeysDataConverter
 * .calculatePublicKeyFingerprint): SHA-256 over the subjectPublicKey BIT STRING's bits — for an
 * EC key the uncompressed point 04‖X‖Y, not the whole SubjectPublicKeyInfo — written as standard
 * base64 with padding (java.util.Base64.getEncoder()). RFC-01 compares it with the CSR's key,
 * RFC-02 with the client certificate's.
 */
export function mtlsKeyFingerprint(spki: Uint8Array): string {
  const reader = new DerReader(spki, 'MALFORMED_PUBLIC_KEY');
  const info = reader.sequence('SubjectPublicKeyInfo');
  reader.end('SubjectPublicKeyInfo');
  info.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'algorithm');
  const bits = info.expect(TagClass.Universal, UNIVERSAL.BIT_STRING, 'subjectPublicKey').content;
  info.end('SubjectPublicKeyInfo');
  // The reference reads the bits as octets (Bouncy Castle refuses a key with unused bits): so does Keyward.
  if (bits.length < 2 || bits[0] !== 0) throw info.fail('subjectPublicKey: not whole octets');
  return createHash('sha256').update(bits.subarray(1)).digest('base64');
}
