import { generateKeyPairSync } from 'node:crypto';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
} from '../../../crypto/x509/certificate-builder.js';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import { NAME_OIDS, attributeValues, readName } from '../../../crypto/x509/names.js';
import {
  annexBFacts,
  annexBName,
  DOCUMENT_SIGNER_EKU,
  DOCUMENT_SIGNER_MAX_VALIDITY_DAYS,
  issuerAlternativeName,
} from './annex-b-profile.js';
import { checkValidityDays, type CertificateWithKey } from './iaca.js';
import { IssuerConfigurationError } from './issuer-configuration-error.js';

export interface DocumentSignerOptions {
  /** Defaults to "<IACA organization> Document Signer". */
  commonName?: string;
  /** Defaults to 365; at most 457 (Annex B), and never past the IACA's notAfter. */
  validityDays?: number;
}

const DAY = 86_400_000;

/**
 * A document signer certificate with the Annex B profile, issued by `iaca`: EC P-256, random
 * 20-byte serial, keyUsage digitalSignature (critical), extendedKeyUsage 1.0.18013.5.1.2
 * (critical), authority and subject key identifiers, and the IACA's issuerAlternativeName and
 * CRL distribution point; subject C (and ST) and O copied from the IACA. Valid from `at`.
 */
export function issueDocumentSigner(
  iaca: CertificateWithKey,
  options: DocumentSignerOptions,
  at: number,
): CertificateWithKey {
  const validityDays = checkValidityDays(options.validityDays ?? 365, DOCUMENT_SIGNER_MAX_VALIDITY_DAYS);
  const facts = annexBFacts(iaca.certificate);
  const organization = attributeValues(readName(iaca.certificate.subjectDer), NAME_OIDS.O)[0];
  const crlUrl = facts.crlUrls[0];
  const alternativeName = facts.issuerAlternativeNames[0];
  if (facts.country === undefined || organization === undefined || crlUrl === undefined || !alternativeName)
    throw new IssuerConfigurationError(
      'iacaCertificate',
      'the IACA lacks the countryName, organizationName, CRL URL or issuerAlternativeName its document signers repeat',
    );
  const commonName = options.commonName ?? `${organization} Document Signer`;
  if (commonName.trim() === '' || commonName.length > 64)
    throw new IssuerConfigurationError('commonName', 'must be non-empty text of at most 64 characters');
  const iacaIdentifier = facts.subjectKeyIdentifier ?? keyIdentifier(iaca.certificate.spki);
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const notBefore = Math.max(Math.floor(at / 1000) * 1000, iaca.certificate.notBefore);
  const notAfter = Math.min(notBefore + validityDays * DAY, iaca.certificate.notAfter);
  if (notAfter <= notBefore) throw new IssuerConfigurationError('iacaCertificate', 'the IACA has expired');
  const der = buildCertificate(
    {
      serial: randomSerial(20),
      subjectDer: encodeName(
        annexBName({ country: facts.country, stateOrProvince: facts.stateOrProvince, organization, commonName }),
      ),
      spki,
      notBefore,
      notAfter,
      extensions: [
        extensions.keyUsage(0),
        { ...extensions.extendedKeyUsage(DOCUMENT_SIGNER_EKU), critical: true },
        extensions.authorityKeyIdentifier(iacaIdentifier),
        extensions.subjectKeyIdentifier(keyIdentifier(spki)),
        issuerAlternativeName(alternativeName),
        extensions.crlDistributionPoints(crlUrl),
      ],
    },
    { key: iaca.key, subjectDer: iaca.certificate.subjectDer, keyIdentifier: iacaIdentifier },
  );
  return { certificate: parseCertificate(der), key: pair.privateKey };
}
