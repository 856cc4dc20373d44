import type { KeyObject } from 'node:crypto';
import { coseKeyToPublicKey } from '../../crypto/cose/cose-key.js';
import { decodeStrictCbor } from '../../crypto/cose/cbor.js';
import { contentError, isKeywardError } from '../../errors.js';
import { asBytes, asMap, asText, asUint, embedded, failWith, tdate, textKeyed } from './cbor-values.js';

/**
 * The MobileSecurityObject (ISO 18013-5 §9.1.2.4), the issuerAuth payload as
 * MobileSecurityObjectBytes = #6.24(bstr .cbor MobileSecurityObject):
 * {version "1.0", digestAlgorithm, valueDigests {ns: {digestID: digest}}, deviceKeyInfo
 * {deviceKey, ? keyAuthorizations, ? keyInfo}, docType, validityInfo {signed, validFrom,
 * validUntil, ? expectedUpdate}}. Members added by later editions (status) are tolerated.
 */

export const DIGEST_ALGORITHMS = new Map([
  ['SHA-256', { hash: 'sha256', length: 32 }],
  ['SHA-384', { hash: 'sha384', length: 48 }],
  ['SHA-512', { hash: 'sha512', length: 64 }],
] as const);

export interface ValidityInfo {
  signed: number;
  validFrom: number;
  validUntil: number;
  expectedUpdate?: number;
}

export interface MobileSecurityObject {
  digestAlgorithm: 'SHA-256' | 'SHA-384' | 'SHA-512';
  hash: 'sha256' | 'sha384' | 'sha512';
  /** namespace → digestID → digest. */
  valueDigests: Map<string, Map<number, Uint8Array>>;
  deviceKey: KeyObject;
  docType: string;
  validityInfo: ValidityInfo;
}

const fail = failWith('MDOC_MSO_MALFORMED', 'The mobile security object is malformed.');

/** Parses the MSO from the issuerAuth payload bytes. */
export function parseMso(payload: Uint8Array, maxDepth: number): MobileSecurityObject {
  const outer = decodeStrictCbor(payload, 'MDOC_MSO_MALFORMED', 'mobile security object', {
    maxDepth: 4,
    saveOriginal: true,
  });
  const map = asMap(
    embedded(outer, 'MobileSecurityObjectBytes', fail, 'MDOC_MSO_MALFORMED', maxDepth).value,
    'MSO',
    fail,
  );
  textKeyed(map, 'MSO', fail);
  const version = asText(map.get('version'), 'MSO version', fail);
  if (version !== '1.0') {
    throw contentError('MDOC_VERSION_UNSUPPORTED', 'The mobile security object version is not supported.', {
      detail: `MSO version "${version}"`,
    });
  }
  const digestAlgorithm = asText(map.get('digestAlgorithm'), 'MSO digestAlgorithm', fail);
  const algorithm = DIGEST_ALGORITHMS.get(digestAlgorithm as 'SHA-256');
  if (!algorithm) {
    throw contentError('MDOC_DIGEST_ALGORITHM_UNSUPPORTED', 'The digest algorithm is not supported.', {
      detail: `digestAlgorithm "${digestAlgorithm}"`,
    });
  }
  return {
    digestAlgorithm: digestAlgorithm as MobileSecurityObject['digestAlgorithm'],
    hash: algorithm.hash,
    valueDigests: valueDigests(map.get('valueDigests'), algorithm.length),
    deviceKey: deviceKey(map.get('deviceKeyInfo')),
    docType: asText(map.get('docType'), 'MSO docType', fail),
    validityInfo: validityInfo(map.get('validityInfo')),
  };
}

function valueDigests(value: unknown, length: number): Map<string, Map<number, Uint8Array>> {
  const namespaces = asMap(value, 'MSO valueDigests', fail);
  textKeyed(namespaces, 'MSO valueDigests', fail);
  const result = new Map<string, Map<number, Uint8Array>>();
  for (const [namespace, digestsValue] of namespaces as Map<string, unknown>) {
    const digests = new Map<number, Uint8Array>();
    for (const [id, digest] of asMap(digestsValue, `valueDigests ${namespace}`, fail)) {
      const digestID = asUint(id, `valueDigests ${namespace} key`, fail);
      const bytes = asBytes(digest, `valueDigests ${namespace} ${digestID}`, fail);
      if (bytes.length !== length) throw fail(`valueDigests ${namespace} ${digestID} is not ${length} bytes`);
      digests.set(digestID, bytes);
    }
    result.set(namespace, digests);
  }
  return result;
}

function deviceKey(value: unknown): KeyObject {
  const info = asMap(value, 'MSO deviceKeyInfo', fail);
  textKeyed(info, 'MSO deviceKeyInfo', fail, ['deviceKey', 'keyAuthorizations', 'keyInfo']);
  try {
    return coseKeyToPublicKey(asMap(info.get('deviceKey'), 'MSO deviceKey', fail));
  } catch (error) {
    if (isKeywardError(error) && error.code === 'COSE_KEY_MALFORMED') {
      throw contentError('MDOC_DEVICE_KEY_MALFORMED', 'The device key is malformed.', {
        detail: error.detail,
        cause: error,
      });
    }
    throw error;
  }
}

function validityInfo(value: unknown): ValidityInfo {
  const info = asMap(value, 'MSO validityInfo', fail);
  textKeyed(info, 'MSO validityInfo', fail, ['signed', 'validFrom', 'validUntil', 'expectedUpdate']);
  const result: ValidityInfo = {
    signed: tdate(info.get('signed'), 'validityInfo signed', fail),
    validFrom: tdate(info.get('validFrom'), 'validityInfo validFrom', fail),
    validUntil: tdate(info.get('validUntil'), 'validityInfo validUntil', fail),
  };
  if (info.has('expectedUpdate'))
    result.expectedUpdate = tdate(info.get('expectedUpdate'), 'validityInfo expectedUpdate', fail);
  if (result.validUntil < result.validFrom) throw fail('validityInfo validUntil is before validFrom');
  return result;
}
