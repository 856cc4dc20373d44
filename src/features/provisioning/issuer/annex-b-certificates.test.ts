import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateIssuingCa } from '../../../crypto/x509/issuing-ca.js';
import { parseCertificate, pemCertificates } from '../../../crypto/x509/certificate.js';
import { annexBFacts, checkDocumentSignerProfile, checkIacaProfile, DOCUMENT_SIGNER_EKU } from './annex-b-profile.js';
import { issueDocumentSigner } from './document-signer.js';
import { generateIaca, type IacaOptions } from './iaca.js';
import {
  generateIssuerCaDirectory,
  ISSUER_CA_FILES,
  issuerCaFilesFromDirectory,
  loadDocumentSigner,
} from './issuer-ca-directory.js';
import { IssuerConfigurationError } from './issuer-configuration-error.js';

const AT = Date.parse('2026-12-01T10:00:00.400Z');
const DAY = 86_400_000;
const OPTIONS: IacaOptions = {
  country: 'DE',
  organization: 'Keyward Test Issuer',
  stateOrProvince: 'Berlin',
  crlUrl: 'https://issuer.example/crl/iaca.crl',
};

/** node:crypto's view of an extension: OpenSSL's text, with "critical" marked. */
const openSslText = (der: Uint8Array) => new X509Certificate(der);

function expectConfigurationError(action: () => unknown, setting: string, problem: RegExp) {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(IssuerConfigurationError);
  expect(thrown).toBeInstanceOf(TypeError);
  expect((thrown as IssuerConfigurationError).setting).toBe(setting);
  expect((thrown as IssuerConfigurationError).problem).toMatch(problem);
}

describe('IACA (ISO 18013-5 Annex B)', () => {
  const iaca = generateIaca(OPTIONS, AT);

  it('is a self-signed P-256 CA with pathLen 0, the Annex B extensions and validity', () => {
    const node = openSslText(iaca.certificate.der);
    expect(node.ca).toBe(true);
    expect(node.verify(node.publicKey)).toBe(true);
    expect(node.checkIssued(node)).toBe(true);
    expect(node.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(node.subject.split('\n')).toEqual([
      'C=DE',
      'ST=Berlin',
      'O=Keyward Test Issuer',
      'CN=Keyward Test Issuer IACA',
    ]);
    expect(node.issuer).toBe(node.subject);
    expect(node.serialNumber).toMatch(/^[0-7][0-9A-F]{39}$/);
    expect(Date.parse(node.validFrom)).toBe(Date.parse('2026-12-01T10:00:00Z'));
    expect(Date.parse(node.validTo) - Date.parse(node.validFrom)).toBe(3650 * DAY);
    // node has no extension accessor: read them with Keyward's parser.
    const certificate = iaca.certificate;
    expect(certificate.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(certificate.extension('2.5.29.19')?.critical).toBe(true);
    expect(certificate.extension('2.5.29.15')?.critical).toBe(true);
    for (const oid of ['2.5.29.14', '2.5.29.18', '2.5.29.31']) expect(certificate.extension(oid)?.critical).toBe(false);
    expect(certificate.extension('2.5.29.37')).toBeUndefined();
    const facts = annexBFacts(certificate);
    expect(facts).toMatchObject({
      country: 'DE',
      stateOrProvince: 'Berlin',
      keyUsage: [5, 6],
      issuerAlternativeNames: ['https://issuer.example'],
      crlUrls: ['https://issuer.example/crl/iaca.crl'],
    });
    expect(facts.subjectKeyIdentifier).toHaveLength(20);
    expect(() => checkIacaProfile(certificate)).not.toThrow();
  });

  it('takes an e-mail issuerAlternativeName and a longer validity up to 20 years', () => {
    const other = generateIaca({ ...OPTIONS, issuerAlternativeName: 'pki@issuer.example', validityDays: 7305 }, AT);
    expect(annexBFacts(other.certificate).issuerAlternativeNames).toEqual(['pki@issuer.example']);
    expect(openSslText(other.certificate.der).issuer).toContain('C=DE');
  });

  it('refuses configuration mistakes with typed errors naming the setting', () => {
    expectConfigurationError(() => generateIaca({ ...OPTIONS, country: 'de' }, AT), 'country', /alpha-2/);
    expectConfigurationError(() => generateIaca({ ...OPTIONS, country: 'DEU' }, AT), 'country', /alpha-2/);
    expectConfigurationError(() => generateIaca({ ...OPTIONS, organization: ' ' }, AT), 'organization', /non-empty/);
    expectConfigurationError(() => generateIaca({ ...OPTIONS, crlUrl: 'crl' }, AT), 'crlUrl', /not a URL/);
    expectConfigurationError(() => generateIaca({ ...OPTIONS, crlUrl: 'ldap://x/crl' }, AT), 'crlUrl', /http/);
    expectConfigurationError(
      () => generateIaca({ ...OPTIONS, issuerAlternativeName: 'nobody' }, AT),
      'issuerAlternativeName',
      /neither/,
    );
    expectConfigurationError(() => generateIaca({ ...OPTIONS, validityDays: 7306 }, AT), 'validityDays', /7305/);
  });
});

describe('document signer (ISO 18013-5 Annex B)', () => {
  const iaca = generateIaca(OPTIONS, AT);
  const signer = issueDocumentSigner(iaca, {}, AT);

  it('is issued by the IACA with keyUsage digitalSignature and the critical mdoc EKU', () => {
    const node = openSslText(signer.certificate.der);
    const root = openSslText(iaca.certificate.der);
    expect(node.ca).toBe(false);
    expect(node.checkIssued(root)).toBe(true);
    expect(node.verify(root.publicKey)).toBe(true);
    expect(node.keyUsage).toEqual([DOCUMENT_SIGNER_EKU]);
    expect(node.subject.split('\n')).toEqual([
      'C=DE',
      'ST=Berlin',
      'O=Keyward Test Issuer',
      'CN=Keyward Test Issuer Document Signer',
    ]);
    expect(Date.parse(node.validTo) - Date.parse(node.validFrom)).toBe(365 * DAY);
    const certificate = signer.certificate;
    expect(certificate.extension('2.5.29.15')?.critical).toBe(true);
    expect(certificate.extension('2.5.29.37')?.critical).toBe(true);
    for (const oid of ['2.5.29.14', '2.5.29.35', '2.5.29.18', '2.5.29.31'])
      expect(certificate.extension(oid)?.critical).toBe(false);
    const facts = annexBFacts(certificate);
    expect(facts.keyUsage).toEqual([0]);
    expect(facts.extendedKeyUsage).toEqual([DOCUMENT_SIGNER_EKU]);
    expect(facts.authorityKeyIdentifier).toEqual(annexBFacts(iaca.certificate).subjectKeyIdentifier);
    expect(facts.crlUrls).toEqual(['https://issuer.example/crl/iaca.crl']);
    expect(facts.issuerAlternativeNames).toEqual(['https://issuer.example']);
    expect(() => checkDocumentSignerProfile(certificate, iaca.certificate)).not.toThrow();
  });

  it('never outlives the IACA and is at most 457 days', () => {
    const late = issueDocumentSigner(iaca, { validityDays: 457 }, iaca.certificate.notAfter - 10 * DAY);
    expect(late.certificate.notAfter).toBe(iaca.certificate.notAfter);
    expectConfigurationError(() => issueDocumentSigner(iaca, { validityDays: 458 }, AT), 'validityDays', /457/);
  });

  it('is refused when another IACA issued it, or it lacks the profile', () => {
    const other = generateIaca(OPTIONS, AT);
    expectConfigurationError(
      () => checkDocumentSignerProfile(signer.certificate, other.certificate),
      'documentSignerCertificate',
      /not issued by the IACA/,
    );
    // A Keyward client-auth CA: its intermediate has no EKU, no CRL URL, no C.
    const foreign = generateIssuingCa(AT, 'Other');
    const root = parseCertificate(pemCertificates(foreign.rootCertificate)[0]!);
    expectConfigurationError(() => checkIacaProfile(root), 'iacaCertificate', /countryName/);
  });
});

describe('issuer CA directory', () => {
  const directory = generateIssuerCaDirectory(OPTIONS, AT);

  it('writes the four PEM files and loads the document signer with every check', () => {
    expect(Object.keys(directory).sort()).toEqual(
      ['document-signer.key.pem', 'document-signer.pem', 'iaca.key.pem', 'iaca.pem'].sort(),
    );
    expect(directory[ISSUER_CA_FILES.iacaKey]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const signer = loadDocumentSigner(issuerCaFilesFromDirectory(directory), { at: AT + DAY });
    expect(signer.certificate.der).toEqual(
      parseCertificate(Buffer.from(new X509Certificate(directory['document-signer.pem']!).raw)).der,
    );
    expect(signer.iaca.subject).toContain('IACA');
    expect(signer.key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('names the file of each mistake', () => {
    const other = generateIssuerCaDirectory(OPTIONS, AT);
    const files = issuerCaFilesFromDirectory(directory);
    expectConfigurationError(
      () => issuerCaFilesFromDirectory({ ...directory, 'iaca.pem': undefined } as unknown as Record<string, string>),
      'iacaCertificate',
      /iaca\.pem is missing/,
    );
    expectConfigurationError(
      () => loadDocumentSigner({ ...files, documentSignerKey: other['document-signer.key.pem']! }),
      'documentSignerKey',
      /does not belong/,
    );
    expectConfigurationError(
      () => loadDocumentSigner({ ...files, documentSignerKey: 'not a key' }),
      'documentSignerKey',
      /PEM private key/,
    );
    expectConfigurationError(
      () => loadDocumentSigner({ ...files, iacaCertificate: other['iaca.pem']! }),
      'documentSignerCertificate',
      /not issued by the IACA/,
    );
    expectConfigurationError(
      () => loadDocumentSigner({ ...files, iacaCertificate: files.iacaCertificate + files.iacaCertificate }),
      'iacaCertificate',
      /exactly one/,
    );
    expectConfigurationError(
      () => loadDocumentSigner({ ...files, documentSignerCertificate: files.iacaCertificate }),
      'documentSignerCertificate',
      /not issued by the IACA|keyUsage|extendedKeyUsage|CA/,
    );
    expectConfigurationError(
      () => loadDocumentSigner(files, { at: AT + 400 * DAY }),
      'documentSignerCertificate',
      /not valid at/,
    );
  });
});
