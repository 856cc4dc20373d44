import { malformed } from './failures.js';
import type { HttpMessageParts } from './types.js';

/** What each covered component stands for in a message (RFC 9421 §2.1, §2.2): field values, request-target parts, query parameters. */

/** Field values: HTAB and printable ASCII only (no CR, LF, NUL, other controls or non-ASCII). */
const INVALID_FIELD_CHAR = /[^\t\x20-\x7e]/;
/** Request targets: printable ASCII without SP and "#". */
const INVALID_TARGET_CHAR = /[^\x21\x22\x24-\x7e]/;
const INVALID_AUTHORITY_CHAR = /[^\x21\x22\x24-\x2e\x30-\x3e\x40-\x7e]/; // printable ASCII without SP, "#", "/", "?"
const SCHEME = /^[a-z][a-z0-9+.-]*$/;
export const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function trimOWS(value: string): string {
  let start = 0;
  let end = value.length;
  for (let c = value.charCodeAt(start); c === 0x20 || c === 0x09; c = value.charCodeAt(++start));
  for (let c = value.charCodeAt(end - 1); end > start && (c === 0x20 || c === 0x09); c = value.charCodeAt(--end - 1));
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * The field's lines trimmed and combined with ", " (RFC 9421 §2.1), or undefined when absent.
 * `validate` refuses CR, LF, controls and non-ASCII (skipped for structured fields, whose parser
 * refuses them anyway).
 */
export function fieldValue(headers: HttpMessageParts['headers'], name: string, validate = true): string | undefined {
  const raw = Object.hasOwn(headers, name) ? headers[name] : undefined;
  let value: string;
  if (typeof raw === 'string') {
    value = trimOWS(raw);
  } else if (Array.isArray(raw) && raw.length > 0) {
    value = '';
    for (let i = 0; i < raw.length; i++) {
      const line: unknown = raw[i];
      if (typeof line !== 'string') return undefined;
      value += i === 0 ? trimOWS(line) : `, ${trimOWS(line)}`;
    }
  } else {
    return undefined;
  }
  if (validate && INVALID_FIELD_CHAR.test(value))
    throw malformed(`field ${name} contains CR, LF, control or non-ASCII characters`);
  return value;
}

export interface SplitTarget {
  readonly path: string;
  /** The query without "?"; undefined when the target has none. */
  readonly query: string | undefined;
  readonly absolute: boolean;
  readonly asterisk: boolean;
}

export function splitTarget(target: string | undefined): SplitTarget {
  if (target === undefined || target.length === 0) throw malformed('the message has no request-target');
  if (INVALID_TARGET_CHAR.test(target))
    throw malformed('the request-target contains SP, "#", control or non-ASCII characters');
  if (target === '*') return { path: '/', query: undefined, absolute: false, asterisk: true };
  let pathStart = 0;
  let absolute = false;
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    // absolute-form: scheme "://" authority [path] ["?" query]
    const separator = target.indexOf('://');
    if (separator <= 0 || !SCHEME.test(target.slice(0, separator).toLowerCase())) {
      throw malformed('the request-target is neither origin-form, absolute-form nor "*"');
    }
    absolute = true;
    pathStart = separator + 3;
    while (pathStart < target.length && target.charCodeAt(pathStart) !== 0x2f && target.charCodeAt(pathStart) !== 0x3f)
      pathStart++;
  }
  const question = target.indexOf('?', pathStart);
  const path = question < 0 ? target.slice(pathStart) : target.slice(pathStart, question);
  return {
    path: path.length === 0 ? '/' : path,
    query: question < 0 ? undefined : target.slice(question + 1),
    absolute,
    asterisk: false,
  };
}

export function schemeValue(message: HttpMessageParts): string {
  if (message.scheme === undefined) throw malformed('the message has no scheme');
  const scheme = message.scheme.toLowerCase();
  if (!SCHEME.test(scheme)) throw malformed('the scheme is not valid');
  return scheme;
}

export function authorityValue(message: HttpMessageParts): string {
  const raw = message.authority;
  if (raw === undefined || raw.length === 0) throw malformed('the message has no authority');
  if (INVALID_AUTHORITY_CHAR.test(raw)) throw malformed('the authority contains invalid characters');
  const authority = raw.toLowerCase();
  const scheme = message.scheme?.toLowerCase();
  if (scheme === 'https' && authority.endsWith(':443')) return authority.slice(0, -4);
  if (scheme === 'http' && authority.endsWith(':80')) return authority.slice(0, -3);
  return authority;
}

const FORM_UNRESERVED = /^[A-Za-z0-9*\-._]*$/;

/**
 * One query parameter name or value per RFC 9421 §2.2.8: application/x-www-form-urlencoded
 * parsing ("+" is SP, %XX a byte, then UTF-8 decoding with replacement), then percent-encoding
 * every byte except ASCII alphanumerics and `*-._` (SP becomes %20, as in the RFC's example).
 */
function formComponent(raw: string): string {
  if (FORM_UNRESERVED.test(raw)) return raw;
  const bytes = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 /* % */ && i + 2 < raw.length && isHex(raw.charCodeAt(i + 1)) && isHex(raw.charCodeAt(i + 2))) {
      bytes[n++] = Number.parseInt(raw.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      bytes[n++] = c === 0x2b /* + */ ? 0x20 : c;
    }
  }
  const utf8 = Buffer.from(bytes.subarray(0, n).toString('utf8'), 'utf8');
  let out = '';
  for (const b of utf8) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2a ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f;
    out += unreserved ? String.fromCharCode(b) : `%${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
  }
  return out;
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

export function queryParamValue(query: string | undefined, name: string): string {
  let found: string | undefined;
  if (query !== undefined) {
    for (let start = 0; start <= query.length; ) {
      let end = query.indexOf('&', start);
      if (end < 0) end = query.length;
      if (end > start) {
        const equals = query.indexOf('=', start);
        const nameEnd = equals >= 0 && equals < end ? equals : end;
        if (formComponent(query.slice(start, nameEnd)) === name) {
          if (found !== undefined) throw malformed(`query parameter ${name} occurs more than once`);
          found = nameEnd < end ? formComponent(query.slice(nameEnd + 1, end)) : '';
        }
      }
      start = end + 1;
    }
  }
  if (found === undefined) throw malformed(`query parameter ${name} is not in the request`);
  return found;
}
