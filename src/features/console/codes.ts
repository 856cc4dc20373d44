import type { CodeTable } from '../../errors.js';

/** Codes of operator accounts (keyward operators, the console's operator pages). */
export const OPERATOR_ACCOUNT_CODES = {
  OPERATOR_NAME_INVALID: {
    category: 'CONTENT',
    description: 'An operator name is not 1–64 characters of letters, digits and . _ @ -.',
  },
  OPERATOR_ROLE_INVALID: { category: 'CONTENT', description: 'An operator role is not viewer, operator or admin.' },
  OPERATOR_PASSWORD_INVALID: {
    category: 'CONTENT',
    description: 'An operator password is shorter than 12 or longer than 1024 characters.',
  },
  OPERATOR_EXISTS: { category: 'CONTENT', status: 409, description: 'An operator with this name exists already.' },
  OPERATOR_UNKNOWN: { category: 'CONTENT', status: 404, description: 'No operator has this name.' },
  OPERATOR_LAST_ADMIN: {
    category: 'CONTENT',
    status: 409,
    description: 'The change would leave no admin: the last admin can neither be removed nor given another role.',
  },
} as const satisfies CodeTable;
