import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { readAsset } from '../assets.js';
import { keyIdentifier, type Signer } from '../crypto/x509/certificate-builder.js';
import { parseCertificate } from '../crypto/x509/certificate.js';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/**
 * Certificate building for simulated devices (tests and demos only): key pairs, self-signed
 * roots and certificates issued by them, through @peculiar/x509 on WebCrypto.
 */
export type KeyKind = 'EC-P256' | 'EC-P384' | 'RSA-2048';

export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

const ALGORITHMS: Record<
  KeyKind,
  {
    generate: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams;
    sign: webcrypto.Algorithm | webcrypto.EcdsaParams;
  }
> = {
  'EC-P256': {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
  },
  'EC-P384': {
    generate: { name: 'ECDSA', namedCurve: 'P-384' },
    sign: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams,
  },
  'RSA-2048': {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
};

export const keyKindOf = (keys: CryptoKeyPair): KeyKind => {
  const algorithm = keys.privateKey.algorithm as webcrypto.EcKeyAlgorithm;
  if (algorithm.name === 'ECDSA') return algorithm.namedCurve === 'P-384' ? 'EC-P384' : 'EC-P256';
  return 'RSA-2048';
};

export async function generateKeys(kind: KeyKind): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHMS[kind].generate, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function importKeys(privatePem: string, certificate: x509.X509Certificate): Promise<CryptoKeyPair> {
  const publicKey = await certificate.publicKey.export();
  const kind = keyKindOf({ privateKey: publicKey, publicKey } as CryptoKeyPair);
  const der = x509.PemConverter.decodeFirst(privatePem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHMS[kind].generate, true, ['sign']);
  return { privateKey, publicKey } as CryptoKeyPair;
}

export const nodeKey = (key: CryptoKey) => KeyObject.from(key);

const caExtensions = (keys: CryptoKeyPair) =>
  Promise.all([
    Promise.resolve(new x509.BasicConstraintsExtension(true, undefined, true)),
    Promise.resolve(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)),
    x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]);

export async function selfSignedAuthority(
  name: string,
  kind: KeyKind,
  validity: { notBefore: Date; notAfter: Date },
): Promise<CertificateAuthority> {
  const keys = await generateKeys(kind);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    ...validity,
    signingAlgorithm: ALGORITHMS[kind].sign,
    extensions: await caExtensions(keys),
  });
  return { certificate, keys };
}

export interface IssueOptions {
  issuer: CertificateAuthority;
  subject: string;
  publicKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  /** Hex serial; random when absent. */
  serialNumber?: string;
  ca?: boolean;
  extensions?: x509.Extension[];
}

export async function issueCertificate(options: IssueOptions): Promise<x509.X509Certificate> {
  const extensions = [...(options.extensions ?? [])];
  if (options.ca) {
    extensions.push(
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  }
  return x509.X509CertificateGenerator.create({
    subject: options.subject,
    issuer: options.issuer.certificate.subjectName.toString(),
    publicKey: options.publicKey,
    signingKey: options.issuer.keys.privateKey,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    ...(options.serialNumber ? { serialNumber: options.serialNumber } : {}),
    signingAlgorithm: ALGORITHMS[keyKindOf(options.issuer.keys)].sign,
    extensions,
  });
}

export async function issueAuthority(
  options: Omit<IssueOptions, 'publicKey' | 'ca'> & { kind: KeyKind },
): Promise<CertificateAuthority> {
  const keys = await generateKeys(options.kind);
  const certificate = await issueCertificate({ ...options, publicKey: keys.publicKey, ca: true });
  return { certificate, keys };
}

export const toDer = (certificate: x509.X509Certificate) => Buffer.from(certificate.rawData);

/** A Signer (node key, subject and key identifier) for certificates `authority` issues with the synchronous builder. */
export function signerOf(authority: CertificateAuthority): Signer {
  const parsed = parseCertificate(toDer(authority.certificate));
  return {
    key: nodeKey(authority.keys.privateKey),
    subjectDer: parsed.subjectDer,
    keyIdentifier: keyIdentifier(parsed.spki),
  };
}

const shipped = new Map<string, Promise<CertificateAuthority>>();

/**
 * A fixed simulator root from assets/simulator (`<name>.pem` and `<name>.key.pem`), read once:
 * its private key is published on purpose, so only a deployment that opts in trusts it.
 */
export function shippedAuthority(name: string): Promise<CertificateAuthority> {
  let authority = shipped.get(name);
  if (!authority) {
    authority = (async () => {
      const certificate = new x509.X509Certificate(readAsset(`simulator/${name}.pem`));
      return { certificate, keys: await importKeys(readAsset(`simulator/${name}.key.pem`), certificate) };
    })();
    shipped.set(name, authority);
  }
  return authority;
}
