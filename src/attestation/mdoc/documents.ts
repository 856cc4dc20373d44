import { decodeStrictCbor } from '../../crypto/cose/cbor.js';
import { contentError } from '../../errors.js';
import { asArray, asMap, asText, asUint, type Embedded, embedded, failWith, textKeyed } from './cbor-values.js';

/**
 * The structure of what a reader receives (ISO 18013-5 §8.3.2.1.2.2): a DeviceResponse
 * {version, documents: [Document], ? documentErrors, status}, Document = {docType, issuerSigned,
 * deviceSigned, ? errors}; or one IssuerSigned {? nameSpaces, issuerAuth} on its own. Parsed
 * strictly and within bounds; the tag-24 items keep their exact received bytes.
 */

export interface MdocLimits {
  /** Largest input accepted, bytes. */
  maxBytes: number;
  /** Nesting bound of the outer structure and, separately, of each embedded item. */
  maxDepth: number;
  maxDocuments: number;
  /** Data elements over all namespaces of one document. */
  maxItems: number;
}

export const DEFAULT_MDOC_LIMITS: MdocLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 16,
  maxDocuments: 16,
  maxItems: 1024,
};

export interface IssuerSignedItem {
  /** The IssuerSignedItemBytes exactly as received: what the MSO digest is over. */
  taggedBytes: Uint8Array;
  digestID: number;
  elementIdentifier: string;
  elementValue: unknown;
}

export interface ParsedIssuerSigned {
  /** namespace → items, in the order received. */
  nameSpaces: Map<string, IssuerSignedItem[]>;
  /** The issuerAuth COSE_Sign1 as decoded (an array). */
  issuerAuth: unknown;
}

export interface ParsedDeviceSigned {
  /** DeviceNameSpacesBytes exactly as received (tag 24), and decoded. */
  nameSpaces: Embedded;
  deviceSignature?: unknown;
  deviceMac?: unknown;
}

export interface ParsedDocument {
  /** The Document's docType; undefined for a bare IssuerSigned, which names it only in the MSO. */
  docType: string | undefined;
  issuerSigned: ParsedIssuerSigned;
  deviceSigned?: ParsedDeviceSigned;
}

const fail = failWith('MDOC_MALFORMED', 'The mdoc is malformed.');
const tooLarge = (detail: string) => contentError('MDOC_TOO_LARGE', 'The mdoc is too large.', { detail });

/** A DeviceResponse's documents, or a bare IssuerSigned as one document. */
export function parseMdoc(bytes: Uint8Array, limits: MdocLimits = DEFAULT_MDOC_LIMITS): ParsedDocument[] {
  if (bytes.length > limits.maxBytes) throw tooLarge(`${bytes.length} bytes, at most ${limits.maxBytes}`);
  let root: unknown;
  try {
    root = decodeStrictCbor(bytes, 'MDOC_MALFORMED', 'mdoc', { maxDepth: limits.maxDepth, saveOriginal: true });
  } catch (error) {
    if (/depth/i.test((error as { detail?: string }).detail ?? '')) throw tooLarge('nested too deeply');
    throw error;
  }
  const map = asMap(root, 'the mdoc', fail);
  textKeyed(map, 'the mdoc', fail);
  if (map.has('issuerAuth')) return [{ docType: undefined, issuerSigned: parseIssuerSigned(map, limits) }];
  return parseDeviceResponse(map, limits);
}

function parseDeviceResponse(map: Map<unknown, unknown>, limits: MdocLimits): ParsedDocument[] {
  textKeyed(map, 'DeviceResponse', fail, ['version', 'documents', 'documentErrors', 'status']);
  const version = asText(map.get('version'), 'DeviceResponse version', fail);
  if (!/^1\.\d+$/.test(version)) {
    throw contentError('MDOC_VERSION_UNSUPPORTED', 'The DeviceResponse version is not supported.', {
      detail: `version "${version}"`,
    });
  }
  const status = asUint(map.get('status'), 'DeviceResponse status', fail);
  const documents = map.has('documents') ? asArray(map.get('documents'), 'documents', fail) : [];
  if (status !== 0 || documents.length === 0) {
    throw contentError('MDOC_STATUS_ERROR', 'The DeviceResponse reports an error or holds no document.', {
      detail: `status ${status}, ${documents.length} documents`,
    });
  }
  if (documents.length > limits.maxDocuments) {
    throw tooLarge(`${documents.length} documents, at most ${limits.maxDocuments}`);
  }
  return documents.map((document, index) => parseDocument(document, index, limits));
}

function parseDocument(value: unknown, index: number, limits: MdocLimits): ParsedDocument {
  const map = asMap(value, `document ${index}`, fail);
  textKeyed(map, `document ${index}`, fail, ['docType', 'issuerSigned', 'deviceSigned', 'errors']);
  const docType = asText(map.get('docType'), `document ${index} docType`, fail);
  const issuerSigned = parseIssuerSigned(asMap(map.get('issuerSigned'), `${docType} issuerSigned`, fail), limits);
  if (!map.has('deviceSigned')) throw fail(`${docType} has no deviceSigned`);
  return { docType, issuerSigned, deviceSigned: parseDeviceSigned(map.get('deviceSigned'), docType, limits) };
}

function parseIssuerSigned(map: Map<unknown, unknown>, limits: MdocLimits): ParsedIssuerSigned {
  textKeyed(map, 'IssuerSigned', fail, ['nameSpaces', 'issuerAuth']);
  const nameSpaces = new Map<string, IssuerSignedItem[]>();
  let count = 0;
  if (map.has('nameSpaces')) {
    const namespaces = asMap(map.get('nameSpaces'), 'IssuerSigned nameSpaces', fail);
    textKeyed(namespaces, 'IssuerSigned nameSpaces', fail);
    for (const [namespace, itemsValue] of namespaces as Map<string, unknown>) {
      const items = asArray(itemsValue, `namespace ${namespace}`, fail);
      if (items.length === 0) throw fail(`namespace ${namespace} is empty`);
      count += items.length;
      if (count > limits.maxItems) throw tooLarge(`more than ${limits.maxItems} data elements`);
      nameSpaces.set(namespace, parseItems(namespace, items, limits));
    }
  }
  return { nameSpaces, issuerAuth: map.get('issuerAuth') };
}

function parseItems(namespace: string, items: unknown[], limits: MdocLimits): IssuerSignedItem[] {
  const digestIds = new Set<number>();
  const elements = new Set<string>();
  return items.map((value, index) => {
    const what = `${namespace} item ${index}`;
    const { taggedBytes, value: decoded } = embedded(value, what, fail, 'MDOC_MALFORMED', limits.maxDepth);
    const item = asMap(decoded, what, fail);
    textKeyed(item, what, fail, ['digestID', 'random', 'elementIdentifier', 'elementValue']);
    const digestID = asUint(item.get('digestID'), `${what} digestID`, fail);
    if (!(item.get('random') instanceof Uint8Array)) throw fail(`${what} random is not a byte string`);
    const elementIdentifier = asText(item.get('elementIdentifier'), `${what} elementIdentifier`, fail);
    if (!item.has('elementValue')) throw fail(`${what} has no elementValue`);
    if (digestIds.has(digestID)) throw fail(`${namespace} repeats digestID ${digestID}`);
    if (elements.has(elementIdentifier)) throw fail(`${namespace} repeats ${elementIdentifier}`);
    digestIds.add(digestID);
    elements.add(elementIdentifier);
    return { taggedBytes, digestID, elementIdentifier, elementValue: item.get('elementValue') };
  });
}

function parseDeviceSigned(value: unknown, docType: string, limits: MdocLimits): ParsedDeviceSigned {
  const deviceFail = failWith('MDOC_DEVICE_AUTH_MALFORMED', 'The device authentication is malformed.');
  const map = asMap(value, `${docType} deviceSigned`, deviceFail);
  textKeyed(map, `${docType} deviceSigned`, deviceFail, ['nameSpaces', 'deviceAuth']);
  const nameSpaces = embedded(
    map.get('nameSpaces'),
    `${docType} DeviceNameSpacesBytes`,
    deviceFail,
    'MDOC_DEVICE_AUTH_MALFORMED',
    limits.maxDepth,
  );
  const namespaces = asMap(nameSpaces.value, `${docType} DeviceNameSpaces`, deviceFail);
  textKeyed(namespaces, `${docType} DeviceNameSpaces`, deviceFail);
  for (const [namespace, elements] of namespaces) {
    textKeyed(asMap(elements, `device namespace ${String(namespace)}`, deviceFail), 'DeviceSignedItems', deviceFail);
  }
  const deviceAuth = asMap(map.get('deviceAuth'), `${docType} deviceAuth`, deviceFail);
  textKeyed(deviceAuth, `${docType} deviceAuth`, deviceFail, ['deviceSignature', 'deviceMac']);
  if (deviceAuth.size !== 1) throw deviceFail(`${docType} deviceAuth holds ${deviceAuth.size} members, not one`);
  const parsed: ParsedDeviceSigned = { nameSpaces };
  if (deviceAuth.has('deviceSignature')) parsed.deviceSignature = deviceAuth.get('deviceSignature');
  else parsed.deviceMac = deviceAuth.get('deviceMac');
  return parsed;
}
