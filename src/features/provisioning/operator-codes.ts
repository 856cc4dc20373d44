import type { CodeTable } from '../../errors.js';

/** Codes of the mdoc system of record's operator API and CLI (persons, documents, provisioning codes). */
export const PROVISIONING_OPERATOR_CODES = {
  MDOC_DOCUMENT_JSON_INVALID: {
    category: 'CONTENT',
    description:
      "A document's JSON data is not {accessControlProfiles?, nameSpaces: {namespace: {element: value}}} with values Keyward can encode (see docs/provisioning.md).",
  },
  MDOC_RECORD_INVALID: {
    category: 'CONTENT',
    description: 'A person name, docType, TTL or other field of an operator request is empty or out of bounds.',
  },
  MDOC_PERSON_UNKNOWN: { category: 'CONTENT', status: 404, description: 'No person has this id.' },
  MDOC_DOCUMENT_UNKNOWN: { category: 'CONTENT', status: 404, description: 'No document has this id.' },
  MDOC_DOCUMENT_WITHDRAWN: {
    category: 'CONTENT',
    status: 409,
    description: 'The document is marked for deletion: its data cannot change and no new code is issued for it.',
  },
  MDOC_CODE_UNKNOWN: { category: 'CONTENT', status: 404, description: 'No provisioning code is this one.' },
  MDOC_CODE_NOT_REVOCABLE: {
    category: 'CONTENT',
    status: 409,
    description: 'The provisioning code is used or revoked already.',
  },
} as const satisfies CodeTable;
