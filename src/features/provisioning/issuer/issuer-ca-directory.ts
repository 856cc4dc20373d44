import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../crypto/x509/certificate.js';
import { checkDocumentSignerProfile, checkIacaProfile } from './annex-b-profile.js';
import { issueDocumentSigner, type DocumentSignerOptions } from './document-signer.js';
import { generateIaca, type IacaOptions } from './iaca.js';
import { IssuerConfigurationError, type IssuerSetting } from './issuer-configuration-error.js';

/** The file names of an issuer CA directory (`keyward mdoc ca init|show`, the development issuer), by part. */
export const ISSUER_CA_FILES = {
  iacaCertificate: 'iaca.pem',
  iacaKey: 'iaca.key.pem',
  documentSignerCertificate: 'document-signer.pem',
  documentSignerKey: 'document-signer.key.pem',
} as const;

/** The PEM files a running issuer needs (the IACA key stays offline). */
export interface IssuerCaFiles {
  iacaCertificate: string;
  documentSignerCertificate: string;
  documentSignerKey: string;
}

export interface IssuerCaOptions extends IacaOptions {
  documentSigner?: DocumentSignerOptions;
}

const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

/** A new IACA and document signer as the contents of their directory, by file name (IACA key included). */
export function generateIssuerCaDirectory(options: IssuerCaOptions, at: number): Record<string, string> {
  const iaca = generateIaca(options, at);
  const signer = issueDocumentSigner(iaca, options.documentSigner ?? {}, at);
  return {
    [ISSUER_CA_FILES.iacaCertificate]: iaca.certificate.toPem(),
    [ISSUER_CA_FILES.iacaKey]: pkcs8(iaca.key),
    [ISSUER_CA_FILES.documentSignerCertificate]: signer.certificate.toPem(),
    [ISSUER_CA_FILES.documentSignerKey]: pkcs8(signer.key),
  };
}

/** The files of a directory's contents by file name; a missing one is an IssuerConfigurationError. */
export function issuerCaFilesFromDirectory(files: Readonly<Record<string, string>>): IssuerCaFiles {
  const file = (part: keyof IssuerCaFiles) => {
    const text = files[ISSUER_CA_FILES[part]];
    if (text === undefined) throw new IssuerConfigurationError(part, `${ISSUER_CA_FILES[part]} is missing`);
    return text;
  };
  return {
    iacaCertificate: file('iacaCertificate'),
    documentSignerCertificate: file('documentSignerCertificate'),
    documentSignerKey: file('documentSignerKey'),
  };
}

/** The document signer an issuer signs every MSO with: one key for every call, its certificate and its IACA. */
export interface DocumentSigner {
  readonly iaca: ParsedCertificate;
  readonly certificate: ParsedCertificate;
  readonly key: KeyObject;
}

const SIGNING_CURVES: ReadonlySet<string | undefined> = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/**
 * Loads and checks an issuer's files: one certificate per file, the IACA and document signer
 * Annex B profiles, the document signer issued by the IACA, the key belonging to the document
 * signer (EC P-256, P-384 or P-521) and, with `at`, the document signer valid then. Every
 * mistake is an IssuerConfigurationError naming the file.
 */
export function loadDocumentSigner(files: IssuerCaFiles, options: { at?: number } = {}): DocumentSigner {
  const iaca = singleCertificate(files.iacaCertificate, 'iacaCertificate');
  const certificate = singleCertificate(files.documentSignerCertificate, 'documentSignerCertificate');
  checkIacaProfile(iaca);
  checkDocumentSignerProfile(certificate, iaca);
  let key: KeyObject;
  try {
    key = createPrivateKey(files.documentSignerKey);
  } catch (error) {
    throw new IssuerConfigurationError('documentSignerKey', 'not a PEM private key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'ec' || !SIGNING_CURVES.has(key.asymmetricKeyDetails?.namedCurve))
    throw new IssuerConfigurationError('documentSignerKey', 'not an EC P-256, P-384 or P-521 key');
  if (!createPublicKey(key).equals(certificate.publicKey()))
    throw new IssuerConfigurationError('documentSignerKey', 'does not belong to the document signer certificate');
  if (options.at !== undefined && (options.at < certificate.notBefore || options.at > certificate.notAfter))
    throw new IssuerConfigurationError(
      'documentSignerCertificate',
      `not valid at ${new Date(options.at).toISOString()} (valid ${new Date(certificate.notBefore).toISOString()} to ${new Date(certificate.notAfter).toISOString()})`,
    );
  return { iaca, certificate, key };
}

function singleCertificate(pem: string, setting: IssuerSetting): ParsedCertificate {
  const blocks = pemCertificates(pem);
  if (blocks.length !== 1) throw new IssuerConfigurationError(setting, 'must hold exactly one PEM certificate');
  try {
    return parseCertificate(blocks[0]!);
  } catch (error) {
    throw new IssuerConfigurationError(setting, `malformed certificate (${(error as Error).message})`, {
      cause: error,
    });
  }
}
