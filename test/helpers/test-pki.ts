import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { spkiOf } from '../../src/crypto/keys.js';
import { parseCertificate, type ParsedCertificate } from '../../src/crypto/x509/certificate.js';
import {
  buildCertificate,
  encodeName,
  extensions,
  keyIdentifier,
  randomSerial,
  type Extension,
  type Signer,
} from '../../src/crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../src/crypto/x509/names.js';

/** A CA of a test PKI: its certificate and what signs below it. */
export interface Authority {
  certificate: ParsedCertificate;
  signer: Signer;
}

export interface TestPkiOptions {
  /** The O of every subject (CN is the certificate's name). */
  organization: string;
  notBefore: number;
  notAfter: number;
}

export interface TestPki {
  /**
   * A certificate for `publicKey` named `name`, issued by `issuer` (self-signed with `ownKey` when
   * there is none): basicConstraints, keyUsage (keyCertSign and cRLSign for a CA, else
   * digitalSignature), subjectKeyIdentifier, then `extra`.
   */
  certify(
    name: string,
    publicKey: KeyObject,
    issuer: Signer | undefined,
    ownKey: KeyObject | undefined,
    ca: boolean,
    extra?: Extension[],
  ): ParsedCertificate;
  /** A CA with a fresh P-256 key, below `issuer` (a root when there is none). */
  authority(name: string, issuer?: Authority, extra?: Extension[]): Authority;
}

/** Certificates and CAs of a hand-built test PKI, all valid over one window. */
export function testPki({ organization, notBefore, notAfter }: TestPkiOptions): TestPki {
  function certify(
    name: string,
    publicKey: KeyObject,
    issuer: Signer | undefined,
    ownKey: KeyObject | undefined,
    ca: boolean,
    extra: Extension[] = [],
  ): ParsedCertificate {
    const spki = spkiOf(publicKey);
    const subjectDer = encodeName([
      [NAME_OIDS.O, organization],
      [NAME_OIDS.CN, name],
    ]);
    const signer = issuer ?? { key: ownKey!, subjectDer, keyIdentifier: keyIdentifier(spki) };
    return parseCertificate(
      buildCertificate(
        {
          serial: randomSerial(),
          subjectDer,
          spki,
          notBefore,
          notAfter,
          extensions: [
            extensions.basicConstraints(ca),
            ca ? extensions.keyUsage(5, 6) : extensions.keyUsage(0),
            extensions.subjectKeyIdentifier(keyIdentifier(spki)),
            ...extra,
          ],
        },
        signer,
      ),
      'MALFORMED_CERTIFICATE',
      { cache: false },
    );
  }

  function authority(name: string, issuer?: Authority, extra: Extension[] = []): Authority {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certificate = certify(name, publicKey, issuer?.signer, privateKey, true, extra);
    return {
      certificate,
      signer: { key: privateKey, subjectDer: certificate.subjectDer, keyIdentifier: keyIdentifier(certificate.spki) },
    };
  }

  return { certify, authority };
}
