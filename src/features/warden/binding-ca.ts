import {
  CA_DIRECTORY_FILES,
  caDirectoryContents,
  generateIssuingCa,
  IssuingCa,
  issuingCaFilesFromDirectory,
  type GeneratedCa,
  type IssuingCaFiles,
} from '../../crypto/x509/issuing-ca.js';

export type { GeneratedCa, IssuedCertificate } from '../../crypto/x509/issuing-ca.js';
export type BindingCaFiles = IssuingCaFiles;

/**
 * Keyward's binding-certificate hierarchy: a root and the intermediate that issues one
 * certificate per attested key (keyUsage digitalSignature, extendedKeyUsage clientAuth, SKI/AKI,
 * CA:false) and signs the CRL. Issuance is one synchronous ECDSA signature.
 */
export class BindingCa extends IssuingCa {
  constructor(files: BindingCaFiles) {
    super(files, 'binding CA');
  }
}

/** The files of a binding-CA directory (`keyward ca init`, the development CA), by part. */
export const BINDING_CA_FILES = CA_DIRECTORY_FILES;

/** A new CA as the contents of its directory, by file name. */
export const generateBindingCaDirectory = (at: number, name?: string): Record<string, string> =>
  caDirectoryContents(generateBindingCa(at, name));

/** The CA of a directory's contents by file name (the root key is not needed). */
export const bindingCaFromDirectory = (files: Record<string, string>): BindingCa =>
  new BindingCa(issuingCaFilesFromDirectory(files));

/** A fresh hierarchy: root EC P-384 (10 years), intermediate EC P-256 (5 years). */
export const generateBindingCa = (at: number, name = 'Keyward Binding CA'): GeneratedCa => generateIssuingCa(at, name);
