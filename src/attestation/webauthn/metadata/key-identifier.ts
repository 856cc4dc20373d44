import { createHash } from 'node:crypto';
import type { ParsedCertificate } from '../../../crypto/x509/certificate.js';

/**
 * The attestationCertificateKeyIdentifier of an attestation certificate, as MDS3 defines it
 * (FIDO Metadata Statement §4, and RFC 5280 §4.2.1.2 method 1): lower-case hex SHA-1 of the
 * subjectPublicKey BIT STRING's value, without its unused-bits byte. Computed from the key, never
 * read from the certificate's subjectKeyIdentifier extension, which issuers fill as they please.
 */
export function keyIdentifierOf(certificate: ParsedCertificate): string {
  return createHash('sha1').update(certificate.publicKeyBits).digest('hex');
}
