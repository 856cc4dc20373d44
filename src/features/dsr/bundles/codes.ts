import type { CodeTable } from '../../../errors.js';

/** DSR policy bundles (the PAP's signed Cedar policies and data) and the PIP lists merged into them. */
export const DSR_BUNDLE_CODES = {
  DSR_BUNDLE_MALFORMED: {
    category: 'CONTENT',
    description:
      'The policy bundle is not a well-formed compact JWS with a {version, policies, data} JSON payload (or exceeds the size bound).',
  },
  DSR_BUNDLE_SIGNATURE_INVALID: {
    category: 'TRUST',
    description:
      'The policy bundle is not signed with ES256 by a configured administration key (unknown kid, wrong alg or typ, crit, bad signature).',
  },
  DSR_BUNDLE_VERSION_STALE: {
    category: 'TRUST',
    description:
      "The policy bundle's version is not greater than the version already in force: an older or replayed bundle is refused.",
  },
  DSR_BUNDLE_POLICIES_INVALID: {
    category: 'CONTENT',
    description:
      "The policy bundle's Cedar text does not parse or breaks the PDP's conventions (@id, @scope, @errorCode, @description on every forbid).",
  },
  DSR_BUNDLE_DATA_INVALID: {
    category: 'CONTENT',
    description:
      "The policy bundle's data (android_data, ios_data, security_data) has the wrong shape or an unparsable address or CIDR.",
  },
  DSR_PIP_LIST_INVALID: {
    category: 'CONTENT',
    description:
      'A PIP list (blocked IPs or CIDRs, blocked users, allowed countries, Tor exit nodes) is not a JSON array of strings or one entry a line, holds an invalid entry, or exceeds its bound.',
  },
} as const satisfies CodeTable;
