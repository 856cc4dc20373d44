import type { CodeTable } from '../../../errors.js';

/** The DSR policy enforcement point (nginx auth_request): what it refuses to read from the forwarded headers. */
export const DSR_PEP_CODES = {
  DSR_PEP_REQUEST_MALFORMED: {
    category: 'CONTENT',
    description:
      'A header nginx forwards to the PEP is malformed: X-Original-URI is not an origin-form URI, X-Original-Method is not an HTTP method, X-Real-IP is not an IP address, X-Country-Code is not a country code, or a header exceeds its size bound. The request is denied (ACCESS_DENIED) without a policy decision.',
  },
  DSR_PEP_CERTIFICATE_MALFORMED: {
    category: 'CONTENT',
    description:
      "The forwarded client certificate (nginx's $ssl_client_escaped_cert) is not exactly one URL-escaped PEM CERTIFICATE block holding an X.509 certificate within the size bound. In the strict profile the device token then counts as invalid.",
  },
  DSR_PEP_TOKEN_MISSING: {
    category: 'TRUST',
    description: 'The request carries no X-Device-Token: the device token counts as invalid and the policies deny.',
  },
  DSR_PEP_CALLER_UNTRUSTED: {
    category: 'TRUST',
    status: 403,
    description:
      'The auth_request came from an address outside dsr.trustedProxies (when the list is set): the forwarded client address and certificate of anyone else are not believed, so the request is denied (ACCESS_DENIED) without a decision.',
  },
} as const satisfies CodeTable;
