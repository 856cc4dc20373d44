import { isIP } from 'node:net';
import { parseCertificate } from '../../../crypto/x509/certificate.js';
import { contentError } from '../../../errors.js';

/**
 * What nginx's auth_request subrequest tells the DSR PEP, read into the PDP input of
 * PROTOCOLS.md §5: {request{method, headers, path, query, url, clientIP, countryCode},
 * deviceTokenValid, deviceTokenPayload}, in the shape the reference PEP (gematik poc-dsr-pep)
 * builds it: path is the decoded path of X-Original-URI, query its parameters as lists, url the
 * URI as forwarded, countryCode "" when nginx sends none.
 *
 * Every forwarded value is checked and bounded: a malformed one is DSR_PEP_REQUEST_MALFORMED
 * (the PEP denies without a decision). The client certificate is read separately and only when a
 * profile needs it (parseEscapedCertificate).
 */

/** The headers nginx forwards, by their lowercase names (Node's IncomingHttpHeaders). */
export type ForwardedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export const PEP_HEADERS = {
  deviceToken: 'x-device-token',
  originalUri: 'x-original-uri',
  originalMethod: 'x-original-method',
  realIp: 'x-real-ip',
  countryCode: 'x-country-code',
} as const;

/** The reference PEP's header for nginx's $ssl_client_escaped_cert. */
export const DEFAULT_CLIENT_CERTIFICATE_HEADER = 'x-client-certificate';

/** Size bounds of the forwarded values (characters as received). */
export const PEP_LIMITS = {
  uri: 8192,
  method: 32,
  countryCode: 8,
  /** A device token carries the device's health: several kilobytes, not hundreds. */
  deviceToken: 32_768,
  /** An escaped PEM certificate: a 4 KiB DER certificate escapes to about 7,500 characters. */
  escapedCertificate: 16_384,
} as const;

/** Headers never copied into request.headers: credentials, and what the PEP reads itself. */
const WITHHELD = new Set(['authorization', 'proxy-authorization', 'cookie', PEP_HEADERS.deviceToken]);

/** §5's request, as the reference PEP fills it. */
export interface PdpRequest {
  method?: string;
  /** Forwarded headers by canonical name (Go's textproto form, as the reference passes them), credentials withheld. */
  headers: Record<string, string[]>;
  path?: string;
  query?: Record<string, string[]>;
  url?: string;
  clientIP?: string;
  countryCode: string;
}

/** §5's PDP input. */
export interface PdpInput {
  request: PdpRequest;
  deviceTokenValid: boolean;
  deviceTokenPayload?: Record<string, unknown>;
}

/** One auth_request, read: the PDP's request, the token, and the certificate header still escaped. */
export interface AuthRequest {
  request: PdpRequest;
  /** X-Device-Token, undefined when absent or empty. */
  deviceToken: string | undefined;
  /** The client certificate header as forwarded (URL-escaped PEM), undefined when absent or empty (nginx sends "" without a certificate). */
  escapedCertificate: string | undefined;
}

export interface ReadAuthRequestOptions {
  /** Lowercase name of the header carrying $ssl_client_escaped_cert (default x-client-certificate). */
  clientCertificateHeader?: string;
  /** The peer address, used as clientIP when X-Real-IP is absent (as the reference does). */
  remoteAddress?: string;
}

const malformed = (detail: string) =>
  contentError('DSR_PEP_REQUEST_MALFORMED', 'A header forwarded to the PEP is malformed.', { detail });

/** The single value of a header: undefined when absent, refused when repeated. */
function single(headers: ForwardedHeaders, name: string, limit: number): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length > 1) throw malformed(`${name} is repeated`);
    return single({ [name]: value[0] }, name, limit);
  }
  if (value.length > limit) throw malformed(`${name} exceeds ${limit} characters`);
  return value;
}

/** Canonical names of the header names seen (the same few on every request); bounded, as names come from clients. */
const canonicalNames = new Map<string, string>();
const MAX_CANONICAL_NAMES = 1024;

/** Go's textproto.CanonicalMIMEHeaderKey for the token-character names Node accepts. */
function canonicalName(name: string): string {
  let canonical = canonicalNames.get(name);
  if (canonical === undefined) {
    canonical = name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash, c) => dash + c.toUpperCase());
    if (canonicalNames.size >= MAX_CANONICAL_NAMES) canonicalNames.clear();
    canonicalNames.set(name, canonical);
  }
  return canonical;
}

// RFC 9110 token.
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// origin-form (RFC 9112 §3.2.1): "/" path ["?" query], visible ASCII, no fragment.
const ORIGIN_FORM = /^\/[\x21-\x22\x24-\x7e]*$/;
const COUNTRY_CODE = /^[A-Za-z0-9-]*$/;

function readUri(uri: string): Pick<PdpRequest, 'path' | 'query' | 'url'> {
  if (!ORIGIN_FORM.test(uri)) throw malformed('X-Original-URI is not an origin-form URI');
  const mark = uri.indexOf('?');
  const rawPath = mark < 0 ? uri : uri.slice(0, mark);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw malformed('X-Original-URI has an invalid percent-encoding in its path');
  }
  const groups = new Map<string, string[]>();
  if (mark >= 0) {
    for (const [name, value] of new URLSearchParams(uri.slice(mark + 1))) {
      const list = groups.get(name);
      if (list) list.push(value);
      else groups.set(name, [value]);
    }
  }
  // fromEntries defines properties: a parameter named __proto__ stays a parameter.
  return { path, query: Object.fromEntries(groups), url: uri };
}

/** Reads the forwarded headers of one auth_request. Throws DSR_PEP_REQUEST_MALFORMED. */
export function readAuthRequest(headers: ForwardedHeaders, options: ReadAuthRequestOptions = {}): AuthRequest {
  const certificateHeader = (options.clientCertificateHeader ?? DEFAULT_CLIENT_CERTIFICATE_HEADER).toLowerCase();
  const request: PdpRequest = { headers: {}, countryCode: '' };

  const method = single(headers, PEP_HEADERS.originalMethod, PEP_LIMITS.method);
  if (method !== undefined) {
    if (!METHOD.test(method)) throw malformed('X-Original-Method is not an HTTP method');
    request.method = method;
  }
  const uri = single(headers, PEP_HEADERS.originalUri, PEP_LIMITS.uri);
  if (uri !== undefined) Object.assign(request, readUri(uri));

  const realIp = single(headers, PEP_HEADERS.realIp, 64);
  const clientIp = realIp ?? options.remoteAddress;
  if (clientIp !== undefined) {
    if (isIP(clientIp) === 0) throw malformed('X-Real-IP is not an IP address');
    request.clientIP = clientIp;
  }
  const countryCode = single(headers, PEP_HEADERS.countryCode, PEP_LIMITS.countryCode) ?? '';
  if (!COUNTRY_CODE.test(countryCode)) throw malformed('X-Country-Code is not a country code');
  request.countryCode = countryCode;

  const deviceToken = single(headers, PEP_HEADERS.deviceToken, PEP_LIMITS.deviceToken);
  const escapedCertificate = single(headers, certificateHeader, PEP_LIMITS.escapedCertificate);

  const forwarded = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || WITHHELD.has(lower) || lower === certificateHeader) continue;
    forwarded.set(canonicalName(lower), typeof value === 'string' ? [value] : [...value]);
  }
  request.headers = Object.fromEntries(forwarded);

  return {
    request,
    deviceToken: deviceToken === '' ? undefined : deviceToken,
    escapedCertificate: escapedCertificate === '' ? undefined : escapedCertificate,
  };
}

/** §5's PDP input: the token's payload only when it verified (and, in the strict profile, is bound). */
export function pdpInput(request: PdpRequest, verifiedPayload?: object): PdpInput {
  return verifiedPayload === undefined
    ? { request, deviceTokenValid: false }
    : { request, deviceTokenValid: true, deviceTokenPayload: verifiedPayload as Record<string, unknown> };
}

const certificateMalformed = (detail: string) =>
  contentError('DSR_PEP_CERTIFICATE_MALFORMED', 'The forwarded client certificate is malformed.', { detail });

// Characters nginx leaves unescaped (unreserved) and base64's, which other escapers leave.
const ESCAPED = /^(?:[A-Za-z0-9\-._~+/=]|%[0-9A-Fa-f]{2})*$/;
const PEM = /^-----BEGIN CERTIFICATE-----\r?\n((?:[A-Za-z0-9+/=]{1,76}\r?\n)+)-----END CERTIFICATE-----(?:\r?\n)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The DER of a client certificate forwarded as nginx's $ssl_client_escaped_cert: exactly one
 * URL-escaped PEM CERTIFICATE block (no text around it, no second block), canonical base64, an
 * X.509 certificate. Throws DSR_PEP_CERTIFICATE_MALFORMED.
 */
export function parseEscapedCertificate(escaped: string): Buffer {
  if (escaped.length > PEP_LIMITS.escapedCertificate)
    throw certificateMalformed(`longer than ${PEP_LIMITS.escapedCertificate} characters`);
  if (!ESCAPED.test(escaped)) throw certificateMalformed('not URL-escaped');
  // Every byte is ASCII by the pattern above, or an escape checked below.
  const bytes = Buffer.from(
    escaped.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
  if (bytes.some((byte) => byte > 0x7e)) throw certificateMalformed('not ASCII');
  const pem = PEM.exec(bytes.toString('latin1'));
  if (!pem) throw certificateMalformed('not exactly one PEM CERTIFICATE block');
  const base64 = pem[1]!.replace(/\r?\n/g, '');
  if (!BASE64.test(base64)) throw certificateMalformed('not canonical base64');
  const der = Buffer.from(base64, 'base64');
  if (der.toString('base64') !== base64) throw certificateMalformed('not canonical base64');
  parseCertificate(der, 'DSR_PEP_CERTIFICATE_MALFORMED', { cache: false });
  return der;
}
