import type { CodeTable } from '../../errors.js';

/** Codes of obtaining the FIDO metadata BLOB: downloads, offline files and CRL fetches (what /ready and the logs report). */
export const FIDO2_METADATA_CODES = {
  METADATA_DOWNLOAD_FAILED: {
    category: 'INTERNAL',
    status: 502,
    description:
      'No metadata server answered with a BLOB (unreachable, timed out, an HTTP error or an oversized answer); the last good BLOB stays in use. The operator checks outbound access to fido2.mds.servers.',
  },
  METADATA_FILE_UNREADABLE: {
    category: 'INTERNAL',
    description: 'The offline BLOB file (fido2.mds.blobFile) could not be read or is too large.',
  },
  METADATA_NO_SOURCE: {
    category: 'INTERNAL',
    description:
      'Neither metadata servers nor an offline BLOB file are configured, so a BLOB can only come from the database (stored by another instance or `keyward mds refresh`).',
  },
  METADATA_STATEMENT_UNREADABLE: {
    category: 'CONTENT',
    description: 'A file of the local metadata folder could not be read or is not JSON; it is skipped.',
  },
  METADATA_STATEMENT_DUPLICATE: {
    category: 'CONTENT',
    description:
      'A file of the local metadata folder names an AAGUID or key identifier an earlier file (by name) already named; it is skipped.',
  },
} as const satisfies CodeTable;
