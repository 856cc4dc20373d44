import { CODE_AREAS } from './error-codes.js';
import { DEFAULT_STATUS, ERROR_CATEGORIES, type CodeTable } from './errors.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * docs/errors.md, generated from the areas' code tables so the reference cannot drift from the
 * code (`npm run docs` writes it; a test fails when it is stale).
 */
export function errorReference(): string {
  const lines = [
    '# Error reference',
    '',
    '<!-- generated from the code tables in src/ by npm run docs (keyward errors docs --out docs/errors.md); do not edit by hand -->',
    '',
    'Every rejection is a JSON body `{ "error": CODE, "category": CATEGORY, "message": "…" }`; internal',
    'errors add an `incidentId` to quote to the operator, whose log holds the cause. Clients switch on',
    '`error` (stable) and `category`; the message is for people. The category says who can fix it:',
    '',
    '| category | default status | meaning |',
    '|---|---|---|',
    ...ERROR_CATEGORIES.map(
      (category) => `| ${category} | ${DEFAULT_STATUS[category]} | ${CATEGORY_MEANINGS[category]} |`,
    ),
    '',
    'Below, each code is listed with the category it is raised with and its HTTP status. The Warden',
    "attest routes answer with Warden's Failure JSON from the same error (kind = category). The MDVM",
    'wallet routes report every failure with one of the [MDVM reference codes](#mdvm-reference-codes),',
    'keeping the Keyward code in the log detail.',
    '',
  ];
  for (const { title, table } of CODE_AREAS) {
    lines.push(`## ${title}`, '', '| code | category | status | meaning |', '|---|---|---|---|');
    for (const [code, { category, status, description }] of Object.entries(table as CodeTable)) {
      lines.push(`| \`${code}\` | ${category} | ${status ?? DEFAULT_STATUS[category]} | ${cell(description)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const CATEGORY_MEANINGS = {
  TRUST: 'The input is well-formed but not trustworthy enough: the device, app or signature does not meet the policy.',
  TIME: 'Something is outside its validity period: a challenge, certificate, signature or token; often clock skew.',
  CONTENT: 'The input is malformed or does not fit the request; the client must change what it sends.',
  INTERNAL: 'Keyward failed; the operator finds the cause in the log by the incident id.',
} as const;
