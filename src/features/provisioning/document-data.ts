import { decodeCbor } from '../../attestation/cbor.js';
import { internalError, isKeywardError } from '../../errors.js';
import type { MdocDocument } from '../../store/provisioning-store.js';
import { DataReader, type DocumentData, encodeCanonical, nameSpacesToCbor, profileToCbor } from './protocol/data.js';

/**
 * A system-of-record document's data (MdocDocument.data): canonical CBOR of
 * {"accessControlProfiles": [...], "nameSpaces": {ns: [{"name", "value", "accessControlProfiles"}]}},
 * the DataToProvisionMessage shape, so values keep their CBOR types.
 */

const CODE = 'PROVISIONING_DOCUMENT_DATA_INVALID';

/** Nesting bound of stored data: values (driving privileges with codes) nest inside namespaces. */
const DATA_MAX_DEPTH = 24;

/** The bytes MdocDocument.data holds for `data` (its docType is the document's own column). */
export function encodeDocumentData(data: Pick<DocumentData, 'accessControlProfiles' | 'nameSpaces'>): Uint8Array {
  return encodeCanonical(
    new Map<string, unknown>([
      ['accessControlProfiles', data.accessControlProfiles.map(profileToCbor)],
      ['nameSpaces', nameSpacesToCbor(data.nameSpaces)],
    ]),
  );
}

/**
 * The DocumentData of `docType` stored as `bytes`. Stored data is Keyward's own: a failure is
 * INTERNAL PROVISIONING_DOCUMENT_DATA_INVALID, never blamed on the client.
 */
export function decodeDocumentData(docType: string, bytes: Uint8Array): DocumentData {
  try {
    const reader = new DataReader(CODE, 'document data');
    const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const map = reader.map(decodeCbor(plain, CODE, 'document data', DATA_MAX_DEPTH), 'document data', [
      'accessControlProfiles',
      'nameSpaces',
    ]);
    return {
      docType,
      accessControlProfiles: reader.profiles(map.get('accessControlProfiles')),
      nameSpaces: reader.nameSpaces(map.get('nameSpaces')),
    };
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    throw internalError(CODE, 'A stored document is unreadable.', {
      detail: `document data of ${docType}: ${error.detail ?? error.message}`,
      cause: error,
    });
  }
}

/** A stored document's data. */
export const documentDataOf = (document: MdocDocument): DocumentData =>
  decodeDocumentData(document.docType, document.data);

/** A document's elements as issueMdoc takes them: namespace → element identifier → value. */
export const elementsOf = (data: DocumentData): Map<string, Map<string, unknown>> =>
  new Map(
    [...data.nameSpaces].map(([nameSpace, entries]) => [
      nameSpace,
      new Map(entries.map((entry) => [entry.name, entry.value])),
    ]),
  );
