import * as der from '../../../crypto/asn1/der-writer.js';
import { DerReader, TagClass, UNIVERSAL } from '../../../crypto/asn1/der.js';
import { oidText } from '../../../crypto/asn1/oid.js';
import { keyIdentifier, type Extension } from '../../../crypto/x509/certificate-builder.js';
import type { ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { attributeValues, NAME_OIDS, readName } from '../../../crypto/x509/names.js';
import { verifySignature } from '../../../crypto/x509/signatures.js';
import { sameBytes } from '../../../crypto/bytes.js';
import { IssuerConfigurationError, type IssuerSetting } from './issuer-configuration-error.js';

/**
 * The ISO/IEC 18013-5 Annex B certificate profiles of an issuing authority: the IACA root
 * (Table B.1/B.2) and the document signer (Table B.3/B.4), as Keyward generates them and as it
 * insists on when loading them from files.
 */

/** extendedKeyUsage of a document signer (ISO 18013-5 Annex B, id-mdl-kp-mdlDS). */
export const DOCUMENT_SIGNER_EKU = '1.0.18013.5.1.2';
/** Longest IACA validity Annex B allows: 20 years. */
export const IACA_MAX_VALIDITY_DAYS = 7305;
/** Longest document signer validity Annex B allows: 457 days. */
export const DOCUMENT_SIGNER_MAX_VALIDITY_DAYS = 457;
export const STATE_OR_PROVINCE_OID = '2.5.4.8';

const OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  issuerAlternativeName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
} as const;

/** Extensions Annex B (B.1.1) forbids in its profiles. */
const FORBIDDEN_EXTENSIONS: Readonly<Record<string, string>> = {
  '2.5.29.30': 'nameConstraints',
  '2.5.29.33': 'policyMappings',
  '2.5.29.36': 'policyConstraints',
  '2.5.29.46': 'freshestCRL',
  '2.5.29.54': 'inhibitAnyPolicy',
};

const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;
const DAY = 86_400_000;

/**
 * issuerAlternativeName (RFC 5280 §4.2.1.7) with one name: an rfc822Name for an e-mail address, a
 * uniformResourceIdentifier otherwise (Annex B asks for one of the two).
 */
export function issuerAlternativeName(name: string): Extension {
  const email = !name.includes(':') && name.includes('@');
  return {
    oid: OIDS.issuerAlternativeName,
    critical: false,
    value: der.sequence(der.element(2, false, email ? 1 : 6, Buffer.from(name, 'latin1'))),
  };
}

/** A subject name in Annex B's order: C, then ST when given, O, CN. */
export function annexBName(fields: {
  country: string;
  stateOrProvince?: string | undefined;
  organization: string;
  commonName: string;
}): Array<readonly [string, string]> {
  return [
    [NAME_OIDS.C, fields.country],
    ...(fields.stateOrProvince === undefined ? [] : [[STATE_OR_PROVINCE_OID, fields.stateOrProvince] as const]),
    [NAME_OIDS.O, fields.organization],
    [NAME_OIDS.CN, fields.commonName],
  ];
}

/** The profile facts tests and `keyward mdoc ca show` read back from a certificate. */
export interface AnnexBFacts {
  country: string | undefined;
  stateOrProvince: string | undefined;
  keyUsage: number[];
  extendedKeyUsage: string[] | undefined;
  subjectKeyIdentifier: Uint8Array | undefined;
  authorityKeyIdentifier: Uint8Array | undefined;
  issuerAlternativeNames: string[];
  crlUrls: string[];
}

/** Reads the Annex B-relevant parts of `certificate`; malformed extensions throw a CONTENT error. */
export function annexBFacts(certificate: ParsedCertificate): AnnexBFacts {
  const subject = readName(certificate.subjectDer);
  const single = (type: string) => {
    const values = attributeValues(subject, type);
    return values.length === 1 ? values[0] : undefined;
  };
  const value = (oid: string) => certificate.extension(oid)?.value;
  return {
    country: single(NAME_OIDS.C),
    stateOrProvince: single(STATE_OR_PROVINCE_OID),
    keyUsage: readKeyUsage(value(OIDS.keyUsage)),
    extendedKeyUsage: readExtendedKeyUsage(value(OIDS.extendedKeyUsage)),
    subjectKeyIdentifier: readSubjectKeyIdentifier(value(OIDS.subjectKeyIdentifier)),
    authorityKeyIdentifier: readAuthorityKeyIdentifier(value(OIDS.authorityKeyIdentifier)),
    issuerAlternativeNames: readGeneralNames(value(OIDS.issuerAlternativeName)),
    crlUrls: readCrlUrls(value(OIDS.crlDistributionPoints)),
  };
}

/** Throws IssuerConfigurationError under `setting` unless `iaca` has the Annex B IACA profile. */
export function checkIacaProfile(iaca: ParsedCertificate, setting: IssuerSetting = 'iacaCertificate'): AnnexBFacts {
  const fail = (problem: string) => new IssuerConfigurationError(setting, problem);
  const facts = readFacts(iaca, fail);
  checkCommon(iaca, facts, fail);
  if (!sameBytes(iaca.issuerDer, iaca.subjectDer)) throw fail('the IACA must be self-signed (issuer equal to subject)');
  if (!verifySignature(iaca.signatureAlgorithm, iaca.tbs, iaca.signature, iaca.publicKey()))
    throw fail('the IACA signature does not verify with its own key');
  const constraints = iaca.basicConstraints;
  if (!iaca.extension(OIDS.basicConstraints)?.critical || constraints?.ca !== true || constraints.pathLength !== 0)
    throw fail('basicConstraints must be critical, CA:TRUE, pathLenConstraint 0');
  checkKeyUsage(iaca, facts, [KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign], 'keyCertSign and cRLSign', fail);
  if (facts.extendedKeyUsage !== undefined) throw fail('an IACA carries no extendedKeyUsage');
  if (iaca.notAfter - iaca.notBefore > IACA_MAX_VALIDITY_DAYS * DAY)
    throw fail(`validity longer than ${IACA_MAX_VALIDITY_DAYS} days`);
  return facts;
}

/**
 * Throws IssuerConfigurationError (documentSignerCertificate) unless `signer` has the Annex B
 * document signer profile and was issued by `iaca`.
 */
export function checkDocumentSignerProfile(signer: ParsedCertificate, iaca: ParsedCertificate): AnnexBFacts {
  const fail = (problem: string) => new IssuerConfigurationError('documentSignerCertificate', problem);
  const facts = readFacts(signer, fail);
  checkCommon(signer, facts, fail);
  if (
    !sameBytes(signer.issuerDer, iaca.subjectDer) ||
    !verifySignature(signer.signatureAlgorithm, signer.tbs, signer.signature, iaca.publicKey())
  ) {
    throw fail('the document signer is not issued by the IACA');
  }
  if (signer.isCa === true) throw fail('a document signer must not be a CA');
  checkKeyUsage(signer, facts, [KEY_USAGE.digitalSignature], 'digitalSignature', fail);
  const eku = signer.extension(OIDS.extendedKeyUsage);
  if (!eku?.critical || facts.extendedKeyUsage?.length !== 1 || facts.extendedKeyUsage[0] !== DOCUMENT_SIGNER_EKU)
    throw fail(`extendedKeyUsage must be critical and exactly ${DOCUMENT_SIGNER_EKU}`);
  const iacaKeyIdentifier = keyIdentifier(iaca.spki);
  const iacaFacts = annexBFacts(iaca);
  if (
    facts.authorityKeyIdentifier === undefined ||
    !sameBytes(facts.authorityKeyIdentifier, iacaFacts.subjectKeyIdentifier ?? iacaKeyIdentifier)
  )
    throw fail("authorityKeyIdentifier must equal the IACA's subjectKeyIdentifier");
  if (facts.country !== iacaFacts.country) throw fail(`countryName ${facts.country} differs from the IACA's`);
  if (iacaFacts.stateOrProvince !== undefined && facts.stateOrProvince !== iacaFacts.stateOrProvince)
    throw fail("stateOrProvinceName differs from the IACA's");
  if (signer.notBefore < iaca.notBefore || signer.notAfter > iaca.notAfter)
    throw fail("validity outside the IACA's validity");
  if (signer.notAfter - signer.notBefore > DOCUMENT_SIGNER_MAX_VALIDITY_DAYS * DAY)
    throw fail(`validity longer than ${DOCUMENT_SIGNER_MAX_VALIDITY_DAYS} days`);
  return facts;
}

function readFacts(certificate: ParsedCertificate, fail: (problem: string) => Error): AnnexBFacts {
  try {
    return annexBFacts(certificate);
  } catch (error) {
    throw fail(`malformed extension or name (${(error as Error).message})`);
  }
}

/** What both profiles share: C in the subject, SKI, issuerAlternativeName, a CRL URL, no forbidden or unknown critical extensions. */
function checkCommon(certificate: ParsedCertificate, facts: AnnexBFacts, fail: (problem: string) => Error): void {
  if (facts.country === undefined || !/^[A-Z]{2}$/.test(facts.country))
    throw fail('the subject must carry exactly one countryName (ISO 3166-1 alpha-2)');
  if (facts.subjectKeyIdentifier === undefined) throw fail('subjectKeyIdentifier missing');
  if (facts.issuerAlternativeNames.length === 0) throw fail('issuerAlternativeName (e-mail or URI) missing');
  if (facts.crlUrls.length === 0) throw fail('cRLDistributionPoints with a URI missing');
  for (const [oid, name] of Object.entries(FORBIDDEN_EXTENSIONS))
    if (certificate.extension(oid)) throw fail(`Annex B forbids the ${name} extension`);
  for (const oid of extensionOids(certificate.tbs))
    if (certificate.extension(oid)?.critical && !KNOWN_CRITICAL.has(oid))
      throw fail(`unknown critical extension ${oid}`);
  if (certificate.keyAlgorithm !== 'EC') throw fail('the key must be an EC key');
}

const KNOWN_CRITICAL: ReadonlySet<string> = new Set([OIDS.basicConstraints, OIDS.keyUsage, OIDS.extendedKeyUsage]);

function checkKeyUsage(
  certificate: ParsedCertificate,
  facts: AnnexBFacts,
  expected: readonly number[],
  names: string,
  fail: (problem: string) => Error,
): void {
  const same = facts.keyUsage.length === expected.length && expected.every((bit) => facts.keyUsage.includes(bit));
  if (!certificate.extension(OIDS.keyUsage)?.critical || !same)
    throw fail(`keyUsage must be critical and exactly ${names}`);
}

/** The OIDs of a tbsCertificate's extensions, in order. */
function extensionOids(tbs: Uint8Array): string[] {
  const fields = reader(tbs).sequence('tbsCertificate');
  const oids: string[] = [];
  while (!fields.done) {
    const field = fields.next();
    if (field.tagClass !== TagClass.Context || field.tag !== 3) continue;
    const list = fields.enter(field, 'extensions').sequence('extensions');
    while (!list.done) {
      const extension = list.sequence('Extension');
      oids.push(oidText(extension, extension.expect(TagClass.Universal, UNIVERSAL.OID, 'extnID')));
    }
  }
  return oids;
}

const reader = (value: Uint8Array) => new DerReader(value, 'MALFORMED_CERTIFICATE');

function readKeyUsage(value: Uint8Array | undefined): number[] {
  if (value === undefined) return [];
  // keyUsage has unused bits (bitStringElement refuses them): read the BIT STRING's content directly.
  const element = reader(value).expect(TagClass.Universal, UNIVERSAL.BIT_STRING, 'keyUsage');
  const bits = element.content;
  if (element.constructed || bits.length === 0 || bits[0]! > 7) throw new TypeError('malformed keyUsage BIT STRING');
  const set: number[] = [];
  for (let index = 1; index < bits.length; index++)
    for (let bit = 0; bit < 8; bit++) if (bits[index]! & (0x80 >> bit)) set.push((index - 1) * 8 + bit);
  return set;
}

function readExtendedKeyUsage(value: Uint8Array | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = reader(value).sequence('extendedKeyUsage');
  const oids: string[] = [];
  while (!list.done) oids.push(oidText(list, list.expect(TagClass.Universal, UNIVERSAL.OID, 'KeyPurposeId')));
  return oids;
}

const readSubjectKeyIdentifier = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : reader(value).octetString('subjectKeyIdentifier');

function readAuthorityKeyIdentifier(value: Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const sequence = reader(value).sequence('authorityKeyIdentifier');
  const first = sequence.peek();
  return first?.tagClass === TagClass.Context && first.tag === 0 ? sequence.next().content : undefined;
}

/** rfc822Name and uniformResourceIdentifier entries of GeneralNames, as text. */
function readGeneralNames(value: Uint8Array | undefined): string[] {
  if (value === undefined) return [];
  return generalNames(reader(value).sequence('GeneralNames'));
}

function generalNames(list: DerReader): string[] {
  const names: string[] = [];
  while (!list.done) {
    const name = list.next();
    if (name.tagClass === TagClass.Context && (name.tag === 1 || name.tag === 6))
      names.push(Buffer.from(name.content).toString('latin1'));
  }
  return names;
}

/** The URIs of every distribution point's fullName. */
function readCrlUrls(value: Uint8Array | undefined): string[] {
  if (value === undefined) return [];
  const points = reader(value).sequence('cRLDistributionPoints');
  const urls: string[] = [];
  while (!points.done) {
    const point = points.sequence('DistributionPoint');
    const first = point.peek();
    if (first?.tagClass !== TagClass.Context || first.tag !== 0) continue;
    const name = point.enter(point.next(), 'distributionPoint');
    const fullName = name.peek();
    if (fullName?.tagClass === TagClass.Context && fullName.tag === 0)
      urls.push(...generalNames(name.enter(name.next(), 'fullName')));
  }
  return urls;
}
