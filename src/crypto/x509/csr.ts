import { contentError } from '../../errors.js';
import { asBuffer } from '../bytes.js';
import { DerReader, TagClass, UNIVERSAL, type DerElement } from '../asn1/der.js';
import { attributeValues, formatName, readName, type NameAttribute } from './names.js';
import { oidText } from '../asn1/oid.js';

const CODE = 'MALFORMED_CSR';

export interface CsrAttribute {
  type: string;
  /** Each value of the attribute's SET, as an element (tag and content). */
  values: DerElement[];
  /** The whole Attribute, DER, as received. */
  der: Uint8Array;
}

/**
 * A PKCS#10 certification request (RFC 2986) — or, unsigned, just its CertificationRequestInfo
 * (Warden's HASH mode sends that; the shape tells them apart) — read with the strict DER reader:
 * the exact info bytes a signature covers, the subject, the public key and the attributes in
 * order (duplicates kept, for the caller to judge), each with its exact DER.
 */
export class ParsedCsr {
  readonly der: Uint8Array;
  readonly info: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** The subject for logs and records (decoded once, which also checks it). */
  readonly subject: string;
  /** The subject's relative distinguished names, decoded (what `subject` and `subjectValues` read). */
  private readonly subjectName: NameAttribute[][];
  readonly spki: Uint8Array;
  readonly keyAlgorithmOid: string;
  /** Absent for an unsigned CertificationRequestInfo. */
  readonly signature?: { algorithm: string; value: Uint8Array };
  readonly attributes: CsrAttribute[] = [];
  /** The version INTEGER element (always 0), kept for re-encoding Warden's hash input. */
  readonly version: DerElement;
  /** Whether the attributes are in DER SET OF order (sorted by encoding). */
  readonly attributesSorted: boolean;

  constructor(der: Uint8Array) {
    this.der = der;
    const outer = new DerReader(der, CODE);
    const top = outer.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'CertificationRequest');
    outer.end('CertificationRequest');
    const request = outer.enter(top, 'CertificationRequest');
    let infoElement = top;
    if (request.peek()?.tag === UNIVERSAL.SEQUENCE) {
      infoElement = request.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'certificationRequestInfo');
      const algorithm = request.sequence('signatureAlgorithm');
      const algorithmOid = oidText(
        algorithm,
        algorithm.expect(TagClass.Universal, UNIVERSAL.OID, 'signatureAlgorithm'),
      );
      this.signature = { algorithm: algorithmOid, value: request.bitString('signature') };
      request.end('CertificationRequest');
    }
    this.info = infoElement.bytes;

    const info = request.enter(infoElement, 'certificationRequestInfo');
    this.version = info.next();
    if (this.version.tag !== UNIVERSAL.INTEGER || this.version.content.length !== 1 || this.version.content[0] !== 0)
      throw info.fail('only version 1 (0) requests are accepted');
    this.subjectDer = info.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'subject').bytes;
    this.subjectName = subjectName(info, this.subjectDer);
    this.subject = formatName(this.subjectName);
    const spkiElement = info.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'subjectPKInfo');
    this.spki = spkiElement.bytes;
    const spki = info.enter(spkiElement, 'subjectPKInfo');
    const keyAlgorithm = spki.sequence('algorithm');
    this.keyAlgorithmOid = oidText(keyAlgorithm, keyAlgorithm.expect(TagClass.Universal, UNIVERSAL.OID, 'algorithm'));
    const attributes = info.enter(info.expect(TagClass.Context, 0, 'attributes'), 'attributes');
    info.end('certificationRequestInfo');
    let sorted = true;
    let previous: Uint8Array | undefined;
    while (!attributes.done) {
      const element = attributes.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'Attribute');
      const attribute = attributes.enter(element, 'Attribute');
      const type = oidText(attribute, attribute.expect(TagClass.Universal, UNIVERSAL.OID, 'type'));
      const set = attribute.enter(attribute.expect(TagClass.Universal, UNIVERSAL.SET, 'values'), 'values');
      attribute.end('Attribute');
      const values: DerElement[] = [];
      while (!set.done) values.push(set.next());
      const bytes = element.bytes;
      if (previous && Buffer.compare(previous, bytes) > 0) sorted = false;
      previous = bytes;
      this.attributes.push({ type, values, der: bytes });
    }
    this.attributesSorted = sorted;
  }

  subjectValues(type: string): string[] {
    return attributeValues(this.subjectName, type);
  }
}

/** The subject's attributes; any failure to read them is the one MALFORMED_CSR rejection. */
function subjectName(info: DerReader, der: Uint8Array): NameAttribute[][] {
  try {
    return readName(der);
  } catch {
    throw info.fail('subject: malformed name');
  }
}

export function parseCsr(der: Uint8Array): ParsedCsr {
  return new ParsedCsr(der);
}

const PEM =
  /^\s*-----BEGIN (NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;

/** A CSR body as DER: PEM (the "CERTIFICATE REQUEST" block) is decoded, anything else is taken as DER. */
export function csrDer(body: Uint8Array): Uint8Array {
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(64, body.byteLength)).toString('latin1');
  if (!head.trimStart().startsWith('-----BEGIN')) return body;
  const match = PEM.exec(asBuffer(body).toString('latin1'));
  if (!match)
    throw contentError(CODE, 'The certificate request is malformed.', {
      detail: 'PEM body is not one CERTIFICATE REQUEST block',
    });
  return Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64');
}
