import type { CodeTable } from '../../errors.js';

/** Codes of the binding-certificate operator API. */
export const WARDEN_OPERATOR_CODES = {
  CERTIFICATE_UNKNOWN: { category: 'CONTENT', status: 404, description: 'No binding certificate has this serial.' },
  CERTIFICATE_ALREADY_REVOKED: {
    category: 'CONTENT',
    status: 409,
    description: 'The binding certificate is already revoked.',
  },
} as const satisfies CodeTable;
