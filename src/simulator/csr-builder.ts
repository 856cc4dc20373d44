import { sign, type KeyObject } from 'node:crypto';
import { encodeName } from '../crypto/certificate-builder.js';
import * as der from '../crypto/der-writer.js';

export interface CsrAttributeSpec {
  oid: string;
  /** DER of each value. */
  values: Buffer[];
}

/** CertificationRequestInfo: SEQUENCE { version 0, subject, SPKI, [0] IMPLICIT SET OF Attribute (DER order) }. */
export function certificationRequestInfo(subject: readonly (readonly [string, string])[], spki: Uint8Array, attributes: readonly CsrAttributeSpec[]): Buffer {
  return der.sequence(der.integer(0), encodeName(subject), Buffer.from(spki), der.element(2, true, 0, Buffer.concat(sortedAttributes(attributes))));
}

export const sortedAttributes = (attributes: readonly CsrAttributeSpec[]) =>
  attributes.map((attribute) => der.sequence(der.oid(attribute.oid), der.setOf(...attribute.values))).sort(Buffer.compare);

/** A signed PKCS#10 request (ECDSA with SHA-256 for EC keys, SHA-256 with RSA otherwise). */
export function signedCsr(info: Buffer, key: KeyObject): Buffer {
  const ec = key.asymmetricKeyType === 'ec';
  const algorithm = ec ? der.sequence(der.oid('1.2.840.10045.4.3.2')) : der.sequence(der.oid('1.2.840.113549.1.1.11'), der.nullValue());
  const signature = sign('sha256', info, ec ? { key, dsaEncoding: 'der' } : key);
  return der.sequence(info, algorithm, der.bitString(signature));
}
