import type { CodeTable } from '../../errors.js';

/** Codes of the operator console's pages and forms (sign-in refusals are not errors: the form says why). */
export const CONSOLE_CODES = {
  CONSOLE_CSRF_INVALID: {
    category: 'TRUST',
    description:
      'A console form arrived without the session’s CSRF token, or from another origin (Origin or Sec-Fetch-Site): the action was not done.',
  },
  CONSOLE_ROLE_REQUIRED: {
    category: 'TRUST',
    description: 'The signed-in operator’s role does not allow this page or action (viewer < operator < admin).',
  },
  CONSOLE_NOT_FOUND: { category: 'CONTENT', status: 404, description: 'The console has no such page or record.' },
  CONSOLE_FORM_INVALID: {
    category: 'CONTENT',
    description: 'A console form field is missing, too long or not one of the allowed values.',
  },
} as const satisfies CodeTable;
