import { asBuffer } from '../bytes.js';
import type { ErrorCode } from '../../errors.js';
import { DerReader, TagClass, UNIVERSAL } from '../asn1/der.js';
import { oidText } from '../asn1/oid.js';

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export const NAME_OIDS = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  serialNumber: '2.5.4.5',
} as const;

export interface NameAttribute {
  type: string;
  value: string;
}

function decodeString(tag: number, content: Uint8Array): string {
  switch (tag) {
    case 30: {
      // BMPString: UTF-16BE
      const swapped = Buffer.from(content);
      for (let i = 0; i + 1 < swapped.length; i += 2) [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
      return swapped.toString('utf16le');
    }
    case 20:
      return asBuffer(content).toString('latin1');
    default:
      return asBuffer(content).toString('utf8');
  }
}

/** A DER Name as its relative distinguished names, in certificate order, values decoded to text. */
export function readName(der: Uint8Array, code: ErrorCode = 'MALFORMED_CERTIFICATE'): NameAttribute[][] {
  const outer = new DerReader(der, code);
  const rdns = outer.sequence('Name');
  outer.end('Name');
  const result: NameAttribute[][] = [];
  while (!rdns.done) {
    const rdn = rdns.enter(
      rdns.expect(TagClass.Universal, UNIVERSAL.SET, 'RelativeDistinguishedName'),
      'RelativeDistinguishedName',
    );
    const attributes: NameAttribute[] = [];
    while (!rdn.done) {
      const attribute = rdn.sequence('AttributeTypeAndValue');
      const type = oidText(attribute, attribute.expect(TagClass.Universal, UNIVERSAL.OID, 'type'));
      const value = attribute.next();
      attributes.push({ type, value: decodeString(value.tag, value.content) });
      attribute.end('AttributeTypeAndValue');
    }
    result.push(attributes);
  }
  return result;
}

/** A name read by `readName` as readable text ("CN=…, O=…") in certificate order; for logs and results. */
export const formatName = (rdns: readonly NameAttribute[][]): string =>
  rdns
    .map((rdn) =>
      rdn.map(({ type, value }) => `${SHORT_NAMES[type] ?? type}=${value.replace(/([,+"\\<>;])/g, '\\$1')}`).join('+'),
    )
    .join(', ');

/** A DER Name as readable text (see `formatName`); never throws. */
export function describeName(der: Uint8Array): string {
  try {
    return formatName(readName(der));
  } catch {
    return '(malformed name)';
  }
}

/** The values of one attribute type in a name read by `readName` (e.g. every serialNumber of a CSR subject). */
export const attributeValues = (rdns: readonly NameAttribute[][], type: string): string[] =>
  rdns.flatMap((rdn) => rdn.filter((attribute) => attribute.type === type).map((attribute) => attribute.value));
