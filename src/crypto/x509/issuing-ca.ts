import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  buildCertificate,
  buildCrl,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
  type Extension,
  type RevokedEntry,
  type Signer,
} from './certificate-builder.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from './certificate.js';
import { verifySignature } from './signatures.js';

const DAY = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The PEM files a running CA needs (the root key stays offline). */
export interface IssuingCaFiles {
  rootCertificate: string;
  intermediateCertificate: string;
  intermediateKey: string;
}

/** A freshly generated hierarchy, root key included. */
export interface GeneratedCa extends IssuingCaFiles {
  rootKey: string;
}

export interface IssuedCertificate {
  der: Buffer;
  /** Lowercase hex. */
  serial: string;
  notBefore: number;
  notAfter: number;
}

/** The file names of a CA directory (`keyward ca init`, the development CAs), by part. */
export const CA_DIRECTORY_FILES = {
  rootCertificate: 'root.pem',
  rootKey: 'root.key.pem',
  intermediateCertificate: 'intermediate.pem',
  intermediateKey: 'intermediate.key.pem',
} as const;

/**
 * A root and the intermediate that issues client-authentication leaves for keys Keyward has
 * checked (keyUsage digitalSignature, extendedKeyUsage clientAuth, SKI/AKI, CA:false, random
 * 16-byte serial) and signs the CRL. Issuance is one synchronous ECDSA signature. The Warden
 * binding CA and the DSR device CA are both one of these; `label` names it in configuration errors.
 */
export class IssuingCa {
  readonly root: ParsedCertificate;
  readonly intermediate: ParsedCertificate;
  /** Intermediate then root, base64url DER: what follows the leaf in every returned chain. */
  readonly chainTail: readonly string[];
  private readonly signer: Signer;
  /** The extensions every leaf carries, encoded once (only the subject key identifier varies). */
  private readonly fixedExtensions: readonly Extension[];
  private readonly authorityKeyIdentifier: Extension;

  constructor(files: IssuingCaFiles, label: string) {
    const root = pemCertificates(files.rootCertificate);
    const intermediate = pemCertificates(files.intermediateCertificate);
    if (root.length !== 1 || intermediate.length !== 1)
      throw new TypeError(`${label}: each certificate file must hold exactly one certificate`);
    this.root = parseCertificate(root[0]!);
    this.intermediate = parseCertificate(intermediate[0]!);
    let key: KeyObject;
    try {
      key = createPrivateKey(files.intermediateKey);
    } catch (error) {
      throw new TypeError(`${label}: the intermediate key is not a PEM private key (${(error as Error).message})`);
    }
    if (!createPublicKey(key).equals(this.intermediate.publicKey()))
      throw new TypeError(`${label}: the intermediate key does not belong to the intermediate certificate`);
    if (this.intermediate.isCa !== true || this.root.isCa !== true)
      throw new TypeError(`${label}: root and intermediate must be CA certificates`);
    if (
      !verifySignature(
        this.intermediate.signatureAlgorithm,
        this.intermediate.tbs,
        this.intermediate.signature,
        this.root.publicKey(),
      )
    ) {
      throw new TypeError(`${label}: the intermediate is not signed by the root`);
    }
    this.signer = {
      key,
      subjectDer: this.intermediate.subjectDer,
      keyIdentifier: keyIdentifier(this.intermediate.spki),
    };
    this.chainTail = [this.intermediate.der.toString('base64url'), this.root.der.toString('base64url')];
    this.fixedExtensions = [
      extensions.basicConstraints(false),
      extensions.keyUsage(0),
      extensions.extendedKeyUsage(CLIENT_AUTH),
    ];
    this.authorityKeyIdentifier = extensions.authorityKeyIdentifier(this.signer.keyIdentifier);
  }

  /** A client-authentication leaf for `spki`, valid from `at` (whole seconds) for `validityDays`, never past the intermediate. */
  issue(request: { spki: Uint8Array; subjectDer: Uint8Array; at: number; validityDays: number }): IssuedCertificate {
    const serial = randomSerial(16);
    const notBefore = Math.floor(request.at / 1000) * 1000;
    const notAfter = Math.min(notBefore + request.validityDays * DAY, this.intermediate.notAfter);
    const der = buildCertificate(
      {
        serial,
        subjectDer: request.subjectDer,
        spki: request.spki,
        notBefore,
        notAfter,
        extensions: [
          ...this.fixedExtensions,
          extensions.subjectKeyIdentifier(keyIdentifier(request.spki)),
          this.authorityKeyIdentifier,
        ],
      },
      this.signer,
    );
    return { der, serial: serial.toString('hex'), notBefore, notAfter };
  }

  crl(revoked: readonly RevokedEntry[], at: number, validityHours: number): Buffer {
    return buildCrl(revoked, this.signer, {
      thisUpdate: at,
      nextUpdate: at + validityHours * 3_600_000,
      number: BigInt(at),
    });
  }
}

/** The files of a CA directory's contents by file name (the root key is not needed). */
export const issuingCaFilesFromDirectory = (files: Record<string, string>): IssuingCaFiles => ({
  rootCertificate: files[CA_DIRECTORY_FILES.rootCertificate]!,
  intermediateCertificate: files[CA_DIRECTORY_FILES.intermediateCertificate]!,
  intermediateKey: files[CA_DIRECTORY_FILES.intermediateKey]!,
});

/** A generated hierarchy as the contents of its directory, by file name. */
export const caDirectoryContents = (generated: GeneratedCa): Record<string, string> =>
  Object.fromEntries(
    Object.entries(CA_DIRECTORY_FILES).map(([part, file]) => [
      file,
      generated[part as keyof typeof CA_DIRECTORY_FILES],
    ]),
  );

/** A fresh hierarchy: root EC P-384 (10 years), intermediate EC P-256 (5 years), both named after `name`. */
export function generateIssuingCa(at: number, name: string): GeneratedCa {
  const root = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const intermediate = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rootSpki = root.publicKey.export({ type: 'spki', format: 'der' });
  const intermediateSpki = intermediate.publicKey.export({ type: 'spki', format: 'der' });
  const rootName = encodeName([
    ['2.5.4.3', `${name} Root`],
    ['2.5.4.10', 'Keyward'],
  ]);
  const rootSigner: Signer = { key: root.privateKey, subjectDer: rootName, keyIdentifier: keyIdentifier(rootSpki) };
  const start = Math.floor(at / 1000) * 1000 - DAY;
  const rootDer = buildCertificate(
    {
      serial: randomSerial(16),
      subjectDer: rootName,
      spki: rootSpki,
      notBefore: start,
      notAfter: start + 3650 * DAY,
      extensions: [
        extensions.basicConstraints(true),
        extensions.keyUsage(5, 6),
        extensions.subjectKeyIdentifier(rootSigner.keyIdentifier),
      ],
    },
    rootSigner,
  );
  const intermediateDer = buildCertificate(
    {
      serial: randomSerial(16),
      subjectDer: encodeName([
        ['2.5.4.3', `${name} Issuing CA`],
        ['2.5.4.10', 'Keyward'],
      ]),
      spki: intermediateSpki,
      notBefore: start,
      notAfter: start + 1825 * DAY,
      extensions: [
        extensions.basicConstraints(true, 0),
        extensions.keyUsage(0, 5, 6),
        extensions.subjectKeyIdentifier(keyIdentifier(intermediateSpki)),
        extensions.authorityKeyIdentifier(rootSigner.keyIdentifier),
      ],
    },
    rootSigner,
  );
  const pem = (der: Buffer) => parseCertificate(der).toPem();
  return {
    rootCertificate: pem(rootDer),
    intermediateCertificate: pem(intermediateDer),
    intermediateKey: intermediate.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    rootKey: root.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
