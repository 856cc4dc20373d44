import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
  type Signer,
} from '../../crypto/x509/certificate-builder.js';
import {
  certificatePem,
  parseCertificate,
  pemCertificates,
  type ParsedCertificate,
} from '../../crypto/x509/certificate.js';
import {
  Es256KeyRing,
  type Es256SigningKey,
  parseEs256PrivateKey,
  signingKeyFileEntries,
} from '../../crypto/jose/es256-keys.js';
import { jwkThumbprint, spkiToJwk } from '../../crypto/jose/jwk.js';
import { spkiOf } from '../../crypto/keys.js';
import { verifySignature } from '../../crypto/x509/signatures.js';

const DAY = 86_400_000;

/** One mdvm_token signing key: P-256, certified by the MDVM root (x5c leaf first, root last). */
export interface MdvmSigningKey extends Es256SigningKey {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  /** The certificate chain as a JOSE x5c (standard base64 DER, leaf first, ending with the root). */
  x5c: string[];
}

/** The signing-keys file: `{"keys":[{kid, createdAt, privateKey, certificateChain}]}` (PEM strings). */
export interface SigningKeyFileEntry {
  kid: string;
  createdAt: string;
  privateKey: string;
  certificateChain: string;
}

/**
 * The keys mdvm_tokens and revocation lists are signed with. The newest signs; every listed
 * key is published (JWKS, x5c) so tokens signed before a rotation stay verifiable until the
 * old key is retired. All chains must end in the same root, which relying backends may pin.
 */
export class MdvmSigningKeys extends Es256KeyRing<MdvmSigningKey> {
  readonly root: ParsedCertificate;

  /** `jwks` (GET /v1/mdvm/jwks.json) serves every key with its certificate chain (x5c). */
  private constructor(keys: MdvmSigningKey[], root: ParsedCertificate) {
    super(keys, (key) => ({ x5c: key.x5c }));
    this.root = root;
  }

  /** Parses and checks the file; TypeErrors name what is wrong. */
  static parse(text: string): MdvmSigningKeys {
    let root: ParsedCertificate | undefined;
    const keys = (signingKeyFileEntries(text) as SigningKeyFileEntry[]).map((entry, index) => {
      const where = `keys[${index}]`;
      const createdAt = Date.parse(entry.createdAt);
      if (typeof entry.kid !== 'string' || !Number.isFinite(createdAt))
        throw new TypeError(`${where}: kid and createdAt (ISO-8601) are required`);
      const chain = pemCertificates(String(entry.certificateChain));
      if (chain.length < 2)
        throw new TypeError(`${where}: certificateChain must hold the signing certificate and the root`);
      const parsedChain = chain.map((der) => parseCertificate(der));
      for (let i = 0; i < parsedChain.length; i++) {
        const issuer = parsedChain[Math.min(i + 1, parsedChain.length - 1)]!;
        const certificate = parsedChain[i]!;
        if (
          !verifySignature(certificate.signatureAlgorithm, certificate.tbs, certificate.signature, issuer.publicKey())
        ) {
          throw new TypeError(`${where}: certificate ${i} of the chain is not signed by the next one`);
        }
      }
      const chainRoot = parsedChain.at(-1)!;
      if (root && !root.der.equals(chainRoot.der))
        throw new TypeError(`${where}: every chain must end in the same root`);
      root = chainRoot;
      const { privateKey, publicJwk: ownJwk } = parseEs256PrivateKey(String(entry.privateKey), where);
      const publicJwk = spkiToJwk(parsedChain[0]!.spki);
      if (!publicJwk || publicJwk.x !== ownJwk.x || publicJwk.y !== ownJwk.y)
        throw new TypeError(`${where}: the private key does not belong to the signing certificate`);
      if (jwkThumbprint(publicJwk) !== entry.kid) throw new TypeError(`${where}: kid must be the key's JWK thumbprint`);
      return { kid: entry.kid, createdAt, privateKey, publicJwk, x5c: chain.map((der) => der.toString('base64')) };
    });
    return new MdvmSigningKeys(keys, root!);
  }
}

export interface MdvmRoot {
  certificate: string;
  key: string;
}

/** A fresh MDVM root (EC P-256, 10 years) to certify signing keys. */
export function generateMdvmRoot(at: number, name = 'Keyward MDVM Root'): MdvmRoot {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = spkiOf(publicKey);
  const subjectDer = encodeName([
    ['2.5.4.3', name],
    ['2.5.4.10', 'Keyward'],
  ]);
  const signer: Signer = { key: privateKey, subjectDer, keyIdentifier: keyIdentifier(spki) };
  const start = Math.floor(at / 1000) * 1000 - DAY;
  const der = buildCertificate(
    {
      serial: randomSerial(16),
      subjectDer,
      spki,
      notBefore: start,
      notAfter: start + 3650 * DAY,
      extensions: [
        extensions.basicConstraints(true, 0),
        extensions.keyUsage(5, 6),
        extensions.subjectKeyIdentifier(signer.keyIdentifier),
      ],
    },
    signer,
  );
  return { certificate: certificatePem(der), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** A new signing key certified by the root (2 years), as a signing-keys file entry. */
export function issueSigningKey(root: MdvmRoot, at: number): SigningKeyFileEntry {
  const rootDer = pemCertificates(root.certificate)[0];
  if (!rootDer) throw new TypeError('the root file holds no certificate');
  const rootCertificate = parseCertificate(rootDer);
  const rootKey = createPrivateKey(root.key);
  const signer: Signer = {
    key: rootKey,
    subjectDer: rootCertificate.subjectDer,
    keyIdentifier: keyIdentifier(rootCertificate.spki),
  };
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = spkiOf(publicKey);
  const kid = jwkThumbprint(spkiToJwk(spki)!);
  const start = Math.floor(at / 1000) * 1000;
  const der = buildCertificate(
    {
      serial: randomSerial(16),
      subjectDer: encodeName([
        ['2.5.4.3', `Keyward MDVM Signing ${kid.slice(0, 12)}`],
        ['2.5.4.10', 'Keyward'],
      ]),
      spki,
      notBefore: start,
      notAfter: Math.min(start + 730 * DAY, rootCertificate.notAfter),
      extensions: [
        extensions.basicConstraints(false),
        extensions.keyUsage(0),
        extensions.subjectKeyIdentifier(keyIdentifier(spki)),
        extensions.authorityKeyIdentifier(signer.keyIdentifier),
      ],
    },
    signer,
  );
  return {
    kid,
    createdAt: new Date(at).toISOString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certificateChain: certificatePem(der) + certificatePem(rootDer),
  };
}

export const signingKeyFile = (entries: SigningKeyFileEntry[]) => `${JSON.stringify({ keys: entries }, null, 2)}\n`;

/** The files of an MDVM key directory (`keyward mdvm keys init`, the development keys). */
export const MDVM_KEY_FILES = {
  rootCertificate: 'root.pem',
  rootKey: 'root.key.pem',
  signingKeys: 'signing-keys.json',
} as const;

/** A new root and its first signing key as the contents of a key directory, by file name. */
export function generateMdvmKeyDirectory(at: number, name?: string): { files: Record<string, string>; kid: string } {
  const root = generateMdvmRoot(at, name);
  const entry = issueSigningKey(root, at);
  return {
    files: {
      [MDVM_KEY_FILES.rootCertificate]: root.certificate,
      [MDVM_KEY_FILES.rootKey]: root.key,
      [MDVM_KEY_FILES.signingKeys]: signingKeyFile([entry]),
    },
    kid: entry.kid,
  };
}
