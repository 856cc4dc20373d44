import type { KeyObject } from 'node:crypto';
import { Tag } from 'cbor2';
import { publicKeyToCoseKey } from '../../../crypto/cose/cose-key.js';
import { canonicalCbor, embeddedCbor } from './canonical-cbor.js';
import { TDATE_TAG, tdateText } from './element-value.js';

/** When an MSO was signed and how long it is valid; each becomes a tdate without fractional seconds. */
export interface MsoValidity {
  signed: Date | number;
  validFrom: Date | number;
  validUntil: Date | number;
  /** When the issuer expects to re-certify (optional in ISO 18013-5). */
  expectedUpdate?: Date | number;
}

/** MobileSecurityObject (ISO 18013-5 §9.1.2.4), as it was encoded. */
export interface MobileSecurityObject {
  version: '1.0';
  digestAlgorithm: 'SHA-256';
  /** namespace → digestID → SHA-256 of the IssuerSignedItemBytes. */
  valueDigests: Map<string, Map<number, Uint8Array>>;
  deviceKeyInfo: { deviceKey: Map<number, number | Uint8Array> };
  docType: string;
  /** tdate texts ("YYYY-MM-DDTHH:MM:SSZ"). */
  validityInfo: { signed: string; validFrom: string; validUntil: string; expectedUpdate?: string };
}

export interface MsoContent {
  docType: string;
  valueDigests: Map<string, Map<number, Uint8Array>>;
  /** The holder's authentication key the MSO binds the data to. */
  deviceKey: KeyObject;
  validity: MsoValidity;
}

/**
 * The MSO for `content` and its COSE_Sign1 payload, MobileSecurityObjectBytes =
 * #6.24(bstr .cbor MobileSecurityObject), both canonically encoded. TypeError unless signed ≤
 * validFrom < validUntil (whole seconds).
 */
export function buildMso(content: MsoContent): { mso: MobileSecurityObject; payload: Uint8Array } {
  const { signed, validFrom, validUntil, expectedUpdate } = content.validity;
  const seconds = (at: Date | number) => Math.floor((at instanceof Date ? at.getTime() : at) / 1000);
  if (!(seconds(signed) <= seconds(validFrom) && seconds(validFrom) < seconds(validUntil)))
    throw new TypeError('MSO validity must have signed ≤ validFrom < validUntil');
  if (content.docType === '') throw new TypeError('the docType is empty');
  const validityInfo: MobileSecurityObject['validityInfo'] = {
    signed: tdateText(signed),
    validFrom: tdateText(validFrom),
    validUntil: tdateText(validUntil),
    ...(expectedUpdate === undefined ? {} : { expectedUpdate: tdateText(expectedUpdate) }),
  };
  const mso: MobileSecurityObject = {
    version: '1.0',
    digestAlgorithm: 'SHA-256',
    valueDigests: content.valueDigests,
    deviceKeyInfo: { deviceKey: publicKeyToCoseKey(content.deviceKey) },
    docType: content.docType,
    validityInfo,
  };
  const encoded = canonicalCbor(
    new Map<string, unknown>([
      ['version', mso.version],
      ['digestAlgorithm', mso.digestAlgorithm],
      ['valueDigests', mso.valueDigests],
      ['deviceKeyInfo', new Map([['deviceKey', mso.deviceKeyInfo.deviceKey]])],
      ['docType', mso.docType],
      ['validityInfo', new Map(Object.entries(validityInfo).map(([name, text]) => [name, new Tag(TDATE_TAG, text)]))],
    ]),
  );
  return { mso, payload: canonicalCbor(embeddedCbor(encoded)) };
}
