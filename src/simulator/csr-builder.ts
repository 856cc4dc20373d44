import type { KeyObject } from 'node:crypto';
import { encodeName, signed } from '../crypto/x509/certificate-builder.js';
import * as der from '../crypto/asn1/der-writer.js';

export interface CsrAttributeSpec {
  oid: string;
  /** DER of each value. */
  values: Buffer[];
}

/** CertificationRequestInfo: SEQUENCE { version 0, subject, SPKI, [0] IMPLICIT SET OF Attribute (DER order) }. */
export function certificationRequestInfo(
  subject: readonly (readonly [string, string])[],
  spki: Uint8Array,
  attributes: readonly CsrAttributeSpec[],
): Buffer {
  return der.sequence(
    der.integer(0),
    encodeName(subject),
    spki,
    der.element(2, true, 0, Buffer.concat(sortedAttributes(attributes))),
  );
}

export const sortedAttributes = (attributes: readonly CsrAttributeSpec[]) =>
  attributes
    .map((attribute) => der.sequence(der.oid(attribute.oid), der.setOf(...attribute.values)))
    .sort(Buffer.compare);

/** A signed PKCS#10 request: it has a certificate's outer shape, so it is signed the same way (ECDSA with SHA-256 for P-256 keys, SHA-256 with RSA for RSA keys). */
export const signedCsr = (info: Buffer, key: KeyObject): Buffer => signed(info, key);
