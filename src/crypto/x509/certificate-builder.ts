import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { asBuffer } from '../bytes.js';
import * as der from '../asn1/der-writer.js';
import { DerReader, TagClass, UNIVERSAL } from '../asn1/der.js';

/**
 * Certificates and CRLs Keyward issues itself, encoded with the DER writer and signed
 * synchronously with node:crypto. (@peculiar/x509's generator signs through WebCrypto and
 * measured about 320 certificates/s here — more than ten times the cost of verifying the
 * attestation the certificate is issued for.)
 */
export interface Extension {
  oid: string;
  critical: boolean;
  /** The extension's own DER (becomes the extnValue OCTET STRING's content). */
  value: Uint8Array;
}

export interface Signer {
  /** The issuer's private key (EC P-256/P-384 or RSA). */
  key: KeyObject;
  /** The issuer certificate's subject, DER, exactly as in its certificate. */
  subjectDer: Uint8Array;
  /** The issuer's subject key identifier (becomes the authority key identifier). */
  keyIdentifier: Uint8Array;
}

const ALGORITHMS = {
  'ecdsa-with-SHA256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256', params: false },
  'ecdsa-with-SHA384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384', params: false },
  sha256WithRSAEncryption: { oid: '1.2.840.113549.1.1.11', hash: 'sha256', params: true },
} as const;

function signatureAlgorithm(key: KeyObject) {
  if (key.asymmetricKeyType === 'rsa') return ALGORITHMS.sha256WithRSAEncryption;
  if (key.asymmetricKeyType === 'ec')
    return key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
      ? ALGORITHMS['ecdsa-with-SHA384']
      : ALGORITHMS['ecdsa-with-SHA256'];
  throw new TypeError(`unsupported issuer key type ${key.asymmetricKeyType}`);
}

const algorithmIdentifier = (algorithm: ReturnType<typeof signatureAlgorithm>) =>
  algorithm.params ? der.sequence(der.oid(algorithm.oid), der.nullValue()) : der.sequence(der.oid(algorithm.oid));

/**
 * SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature } signed by `signer`: the outer shape
 * of certificates, CRLs and PKCS#10 requests alike (ECDSA with SHA-256, SHA-384 for P-384 keys;
 * SHA-256 with RSA).
 */
export function signed(tbs: Buffer, signer: KeyObject): Buffer {
  const algorithm = signatureAlgorithm(signer);
  const signature = sign(
    algorithm.hash,
    tbs,
    signer.asymmetricKeyType === 'ec' ? { key: signer, dsaEncoding: 'der' } : signer,
  );
  return der.sequence(tbs, algorithmIdentifier(algorithm), der.bitString(signature));
}

/** A random positive serial of `bytes` bytes (RFC 5280 allows up to 20). */
export function randomSerial(bytes = 16): Buffer {
  const serial = randomBytes(bytes);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}

/** RFC 5280 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifier(spki: Uint8Array): Buffer {
  const reader = new DerReader(spki, 'MALFORMED_PUBLIC_KEY');
  const info = reader.sequence('SubjectPublicKeyInfo');
  info.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'algorithm');
  const bits = info.expect(TagClass.Universal, UNIVERSAL.BIT_STRING, 'subjectPublicKey').content;
  return createHash('sha1').update(bits.subarray(1)).digest();
}

export const extensions = {
  basicConstraints: (ca: boolean, pathLength?: number): Extension => ({
    oid: '2.5.29.19',
    critical: true,
    value: ca
      ? der.sequence(der.boolean(true), ...(pathLength === undefined ? [] : [der.integer(pathLength)]))
      : der.sequence(),
  }),
  /** Bits: digitalSignature 0, keyCertSign 5, cRLSign 6 (all within the first byte). */
  keyUsage: (...bits: number[]): Extension => {
    const value = bits.reduce((mask, bit) => mask | (0x80 >> bit), 0);
    // DER drops trailing zero bits: the unused count is the number of zero bits below the lowest set one.
    let unused = 0;
    while (unused < 7 && !(value & (1 << unused))) unused++;
    return { oid: '2.5.29.15', critical: true, value: der.element(0, false, 3, Buffer.of(unused, value)) };
  },
  extendedKeyUsage: (...oids: string[]): Extension => ({
    oid: '2.5.29.37',
    critical: false,
    value: der.sequence(...oids.map((oid) => der.oid(oid))),
  }),
  subjectKeyIdentifier: (identifier: Uint8Array): Extension => ({
    oid: '2.5.29.14',
    critical: false,
    value: der.octetString(identifier),
  }),
  authorityKeyIdentifier: (identifier: Uint8Array): Extension => ({
    oid: '2.5.29.35',
    critical: false,
    value: der.sequence(der.element(2, false, 0, identifier)),
  }),
  /** cRLDistributionPoints (RFC 5280 §4.2.1.13) with one distribution point per URL (fullName, uniformResourceIdentifier). */
  crlDistributionPoints: (...urls: string[]): Extension => ({
    oid: '2.5.29.31',
    critical: false,
    value: der.sequence(
      ...urls.map((url) =>
        der.sequence(der.explicit(0, der.element(2, true, 0, der.element(2, false, 6, Buffer.from(url, 'latin1'))))),
      ),
    ),
  }),
  crlNumber: (number: bigint | number): Extension => ({
    oid: '2.5.29.20',
    critical: false,
    value: der.integer(number),
  }),
};

const encodeExtensions = (list: readonly Extension[]) =>
  der.sequence(
    ...list.map((extension) =>
      der.sequence(
        der.oid(extension.oid),
        ...(extension.critical ? [der.boolean(true)] : []),
        der.octetString(extension.value),
      ),
    ),
  );

export interface CertificateTemplate {
  serial: Uint8Array;
  subjectDer: Uint8Array;
  spki: Uint8Array;
  notBefore: number;
  notAfter: number;
  extensions: readonly Extension[];
}

/** A v3 certificate for `template.spki`, issued and signed by `signer` (or self-signed when `signer` names the same key). */
export function buildCertificate(template: CertificateTemplate, signer: Signer): Buffer {
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integer(BigInt(`0x${asBuffer(template.serial).toString('hex')}`)),
    algorithmIdentifier(signatureAlgorithm(signer.key)),
    signer.subjectDer,
    der.sequence(der.time(template.notBefore), der.time(template.notAfter)),
    template.subjectDer,
    template.spki,
    der.explicit(3, encodeExtensions(template.extensions)),
  );
  return signed(tbs, signer.key);
}

export interface RevokedEntry {
  /** Serial as lowercase hex. */
  serial: string;
  revokedAt: number;
  /** RFC 5280 CRLReason name; `unspecified` (or none) leaves the reasonCode extension out, as §5.3.1 asks. */
  reason?: string;
}

/** RFC 5280 §5.3.1 CRLReason values. */
export const CRL_REASONS: Record<string, number> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
};

function revokedCertificate(entry: RevokedEntry): Buffer {
  const code = entry.reason === undefined ? 0 : CRL_REASONS[entry.reason];
  if (code === undefined) throw new TypeError(`unknown CRL reason ${entry.reason}`);
  const reasonCode =
    code === 0 ? [] : [encodeExtensions([{ oid: '2.5.29.21', critical: false, value: der.enumerated(code) }])];
  return der.sequence(der.integer(BigInt(`0x${entry.serial}`)), der.time(entry.revokedAt), ...reasonCode);
}

/** A v2 CRL signed by `signer`, listing `revoked`, with CRL number and authority key identifier. */
export function buildCrl(
  revoked: readonly RevokedEntry[],
  signer: Signer,
  times: { thisUpdate: number; nextUpdate: number; number: bigint },
): Buffer {
  const entries = revoked.map(revokedCertificate);
  const tbs = der.sequence(
    der.integer(1),
    algorithmIdentifier(signatureAlgorithm(signer.key)),
    signer.subjectDer,
    der.time(times.thisUpdate),
    der.time(times.nextUpdate),
    ...(entries.length > 0 ? [der.sequence(...entries)] : []),
    der.explicit(
      0,
      encodeExtensions([extensions.authorityKeyIdentifier(signer.keyIdentifier), extensions.crlNumber(times.number)]),
    ),
  );
  return signed(tbs, signer.key);
}

/** A distinguished name from [type OID, value] pairs, one attribute per RDN, in order (PrintableString where it fits, else UTF8String). */
export function encodeName(attributes: readonly (readonly [string, string])[]): Buffer {
  return der.sequence(
    ...attributes.map(([type, value]) =>
      der.setOf(
        der.sequence(
          der.oid(type),
          /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? der.printableString(value) : der.utf8String(value),
        ),
      ),
    ),
  );
}
