/**
 * HTTP Message Signatures (RFC 9421): Keyward's own strict signer and verifier.
 *
 * The verifier checks exactly one signature, the one under the policy's label; other labels are
 * ignored (they can neither satisfy nor mask the check). Signature-Input and Signature are parsed
 * as strict RFC 8941 Dictionaries; any duplicate member or parameter key in either field rejects
 * the message (RFC 8941's last-wins would let an appended field line replace a signature).
 *
 * Supported components: the derived components @method, @target-uri, @authority, @scheme,
 * @request-target, @path, @query, @query-param;name="…", @status, and HTTP fields by lowercase
 * name. Component parameters other than `name` on @query-param (sf, key, bs, req, tr) are not
 * supported and reject the signature. Paths and queries are taken from the request-target as
 * sent: no dot-segment removal, no percent-decoding, no case change of the method.
 *
 * Components are named in this API by strings: the component name (`@method`,
 * `content-digest`) or, for @query-param, the name followed by its parameter in canonical
 * form (`@query-param;name="Pet"`).
 */
import { constants, createHmac, sign as cryptoSign, verify as cryptoVerify, timingSafeEqual, type KeyObject } from 'node:crypto';
import { KeywardError, contentError, timeError, trustError } from '../errors.js';
import {
  isValidKey,
  parseDictionary,
  parseItem,
  serializeParameters,
  serializeString,
  type BareItem,
  type Dictionary,
  type Item,
  type Parameters,
} from './structured-fields.js';

export interface HttpMessageParts {
  /** Request: the raw method, case-sensitive, not normalised. */
  method?: string;
  /**
   * Request: the raw request-target as sent (origin-form `/foo?x=1`, absolute-form
   * `https://host/foo`, or `*`). @path, @query and @query-param are derived from it without URL
   * normalisation.
   */
  target?: string;
  /** Request: the authority (Host); lowercased and stripped of the scheme's default port here. */
  authority?: string;
  /** Request: 'http' or 'https' (lowercased here). */
  scheme?: string;
  /** Response: the status code. */
  status?: number;
  /** Lowercase field names; an array holds several field lines, combined with ", ". */
  headers: Record<string, string | string[] | undefined>;
}

export type SignatureAlgorithm = 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ed25519' | 'rsa-pss-sha512' | 'rsa-v1_5-sha256' | 'hmac-sha256';

/** A covered component: `@method`, `content-digest`, `@query-param;name="Pet"` (canonical form). */
export type ComponentIdentifier = string;

export interface SignaturePolicy {
  /** The only signature checked; all other labels are ignored. */
  label: string;
  /** Components that must all be covered (canonical form); extra covered components are allowed. */
  requiredComponents: readonly ComponentIdentifier[];
  /** Allowed algorithms. The key must fit; an `alg` parameter, if present, must be one of these and fit the key. */
  algorithms: readonly SignatureAlgorithm[];
  /** Epoch milliseconds (injected clock). */
  now: number;
  /** When set, `created` is required and may be at most this old. */
  maxAgeSeconds?: number;
  /** Tolerance for clocks ahead of ours: on `created` (future) and on `expires`. Default 30. */
  maxSkewSeconds?: number;
  /** When set, the `keyid` parameter must be present and equal to it. */
  requireKeyId?: string;
}

/** A verified signature: its parameters as sent (`alg` included when present) and what was checked. */
export interface VerifiedHttpSignature extends SignatureParameters {
  label: string;
  /** Covered components in signed order, in canonical form. */
  components: string[];
  /** The algorithm the signature was verified with. */
  algorithm: SignatureAlgorithm;
  /** The signature base that was verified. */
  base: string;
}

/** Signature parameters Keyward writes, serialised in this order: created, expires, keyid, alg, nonce, tag. */
export interface SignatureParameters {
  created?: number;
  expires?: number;
  keyid?: string;
  alg?: string;
  nonce?: string;
  tag?: string;
}

export interface SignHttpMessageOptions extends Omit<SignatureParameters, 'alg'> {
  label: string;
  components: readonly ComponentIdentifier[];
  /** Private key (secret KeyObject for hmac-sha256). */
  key: KeyObject;
  algorithm: SignatureAlgorithm;
  /** Write the `alg` parameter (default true; RFC 9421's own examples omit it). */
  includeAlg?: boolean;
}

export interface SignedHttpMessage {
  /** One Signature-Input member: `label=(…);created=…`. */
  signatureInput: string;
  /** One Signature member: `label=:…:`. */
  signature: string;
  /** The signature base that was signed. */
  base: string;
}

// ---------------------------------------------------------------------------------------------
// Errors

const malformed = (detail: string, cause?: unknown) =>
  contentError('SIGNATURE_MALFORMED', 'The HTTP message signature is malformed.', { detail, cause });
const missing = (detail: string) => contentError('SIGNATURE_MISSING', 'The HTTP message signature is missing.', { detail });
const policyViolation = (detail: string) =>
  trustError('SIGNATURE_POLICY_VIOLATION', 'The HTTP message signature does not meet the policy.', { detail });

// ---------------------------------------------------------------------------------------------
// Algorithms

interface AlgorithmSpec {
  readonly hash: string | null;
  /** Exact signature length where the algorithm fixes it. */
  readonly length: number | undefined;
  readonly fits: (key: KeyObject) => boolean;
}

const isAsymmetric = (key: KeyObject) => key.type === 'public' || key.type === 'private';
const curveOf = (key: KeyObject) => (key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined);

const ALGORITHMS: Readonly<Record<SignatureAlgorithm, AlgorithmSpec>> = {
  'ecdsa-p256-sha256': { hash: 'sha256', length: 64, fits: (key) => isAsymmetric(key) && curveOf(key) === 'prime256v1' },
  'ecdsa-p384-sha384': { hash: 'sha384', length: 96, fits: (key) => isAsymmetric(key) && curveOf(key) === 'secp384r1' },
  ed25519: { hash: null, length: 64, fits: (key) => isAsymmetric(key) && key.asymmetricKeyType === 'ed25519' },
  'rsa-pss-sha512': {
    hash: 'sha512',
    length: undefined,
    fits: (key) => isAsymmetric(key) && (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss'),
  },
  'rsa-v1_5-sha256': { hash: 'sha256', length: undefined, fits: (key) => isAsymmetric(key) && key.asymmetricKeyType === 'rsa' },
  'hmac-sha256': { hash: 'sha256', length: 32, fits: (key) => key.type === 'secret' },
};

const isSignatureAlgorithm = (name: string): name is SignatureAlgorithm => Object.hasOwn(ALGORITHMS, name);

function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return 'secret key';
  const curve = curveOf(key);
  return `${key.type} ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''} key`;
}

function cryptoOptions(algorithm: SignatureAlgorithm, key: KeyObject) {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
    case 'ecdsa-p384-sha384':
      return { key, dsaEncoding: 'ieee-p1363' as const };
    case 'rsa-pss-sha512':
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 };
    case 'rsa-v1_5-sha256':
      return { key, padding: constants.RSA_PKCS1_PADDING };
    default:
      return key;
  }
}

function verifyBytes(algorithm: SignatureAlgorithm, data: Buffer, signature: Buffer, key: KeyObject): boolean {
  try {
    if (algorithm === 'hmac-sha256') {
      const mac = createHmac('sha256', key).update(data).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    return cryptoVerify(ALGORITHMS[algorithm].hash, data, cryptoOptions(algorithm, key), signature);
  } catch {
    // Malformed encodings and key/parameter mismatches are failed verifications.
    return false;
  }
}

function signBytes(algorithm: SignatureAlgorithm, data: Buffer, key: KeyObject): Buffer {
  if (algorithm === 'hmac-sha256') return createHmac('sha256', key).update(data).digest();
  return cryptoSign(ALGORITHMS[algorithm].hash, data, cryptoOptions(algorithm, key));
}

// ---------------------------------------------------------------------------------------------
// Components

type Derived = '@method' | '@target-uri' | '@authority' | '@scheme' | '@request-target' | '@path' | '@query' | '@query-param' | '@status';
const DERIVED = new Set<string>(['@method', '@target-uri', '@authority', '@scheme', '@request-target', '@path', '@query', '@query-param', '@status']);
const UNSUPPORTED_PARAMETERS = new Set(['sf', 'key', 'bs', 'req', 'tr']);

interface Component {
  /** Canonical identifier in this API's string form: `@method`, `@query-param;name="Pet"`. */
  readonly id: string;
  /** Serialised component identifier as it appears in the base and in @signature-params. */
  readonly label: string;
  readonly name: string;
  /** The `name` parameter of @query-param. */
  readonly queryName: string | undefined;
}

/** Lowercase field names: tchar without uppercase ALPHA. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** Parameterless components by name (valid names only, bounded). */
const componentCache = new Map<string, Component>();
const COMPONENT_CACHE_LIMIT = 256;

function componentFromItem(item: Item): Component {
  if (item.value.type !== 'string') throw malformed(`covered component ${describeBareItem(item.value)} is not a string`);
  const name = item.value.value;
  if (item.params.size === 0) {
    const cached = componentCache.get(name);
    if (cached) return cached;
  }
  if (name === '@signature-params') throw malformed('@signature-params cannot be covered');
  if (name.charCodeAt(0) === 0x40 /* @ */) {
    if (!DERIVED.has(name)) throw malformed(`unsupported derived component ${name}`);
  } else if (!FIELD_NAME.test(name)) {
    throw malformed(`component identifier ${JSON.stringify(name)} is not a lowercase field name`);
  }
  let queryName: string | undefined;
  for (const [key, value] of item.params) {
    if (name === '@query-param' && key === 'name') {
      if (value.type !== 'string') throw malformed('the name parameter of @query-param is not a string');
      queryName = value.value;
    } else {
      throw malformed(
        `${UNSUPPORTED_PARAMETERS.has(key) ? 'unsupported' : 'unknown'} component parameter ${key} on ${JSON.stringify(name)}`,
      );
    }
  }
  if (name === '@query-param') {
    if (queryName === undefined) throw malformed('@query-param without a name parameter');
    const parameter = `;name=${serializeString(queryName)}`;
    return { id: `${name}${parameter}`, label: `"${name}"${parameter}`, name, queryName };
  }
  const component: Component = { id: name, label: `"${name}"`, name, queryName: undefined };
  if (componentCache.size < COMPONENT_CACHE_LIMIT) componentCache.set(name, component);
  return component;
}

/** Parses this API's string form of a component identifier; throws SIGNATURE_MALFORMED. */
function componentFromString(id: string): Component {
  const semicolon = id.indexOf(';');
  const name = semicolon < 0 ? id : id.slice(0, semicolon);
  if (!/^@?[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) throw malformed(`component identifier ${JSON.stringify(id)} is not valid`);
  let item;
  try {
    item = parseItem(`"${name}"${semicolon < 0 ? '' : id.slice(semicolon)}`);
  } catch (error) {
    throw malformed(`component identifier ${JSON.stringify(id)} is not valid`, error);
  }
  if (item.duplicateParameters.length > 0) throw malformed(`duplicate parameters in component identifier ${JSON.stringify(id)}`);
  return componentFromItem(item);
}

function describeBareItem(value: BareItem): string {
  return value.type === 'binary' ? 'byte sequence' : `${value.type} ${JSON.stringify(value.value)}`;
}

function checkDistinct(components: readonly Component[]): void {
  for (let i = 1; i < components.length; i++) {
    const id = components[i]!.id;
    for (let j = 0; j < i; j++) if (components[j]!.id === id) throw malformed(`component ${id} is covered twice`);
  }
}

// ---------------------------------------------------------------------------------------------
// Component values

/** Field values: HTAB and printable ASCII only (no CR, LF, NUL, other controls or non-ASCII). */
const INVALID_FIELD_CHAR = /[^\t\x20-\x7e]/;
/** Request targets: printable ASCII without SP and "#". */
const INVALID_TARGET_CHAR = /[^\x21\x22\x24-\x7e]/;
const INVALID_AUTHORITY_CHAR = /[^\x21\x22\x24-\x2e\x30-\x3e\x40-\x7e]/; // printable ASCII without SP, "#", "/", "?"
const SCHEME = /^[a-z][a-z0-9+.-]*$/;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

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
function fieldValue(headers: HttpMessageParts['headers'], name: string, validate = true): string | undefined {
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
  if (validate && INVALID_FIELD_CHAR.test(value)) throw malformed(`field ${name} contains CR, LF, control or non-ASCII characters`);
  return value;
}

interface SplitTarget {
  readonly path: string;
  /** The query without "?"; undefined when the target has none. */
  readonly query: string | undefined;
  readonly absolute: boolean;
  readonly asterisk: boolean;
}

function splitTarget(target: string | undefined): SplitTarget {
  if (target === undefined || target.length === 0) throw malformed('the message has no request-target');
  if (INVALID_TARGET_CHAR.test(target)) throw malformed('the request-target contains SP, "#", control or non-ASCII characters');
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
    while (pathStart < target.length && target.charCodeAt(pathStart) !== 0x2f && target.charCodeAt(pathStart) !== 0x3f) pathStart++;
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

function schemeValue(message: HttpMessageParts): string {
  if (message.scheme === undefined) throw malformed('the message has no scheme');
  const scheme = message.scheme.toLowerCase();
  if (!SCHEME.test(scheme)) throw malformed('the scheme is not valid');
  return scheme;
}

function authorityValue(message: HttpMessageParts): string {
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
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2a || b === 0x2d || b === 0x2e || b === 0x5f;
    out += unreserved ? String.fromCharCode(b) : `%${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
  }
  return out;
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

function queryParamValue(query: string | undefined, name: string): string {
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

/** Builds the signature base (RFC 9421 §2.5); `signatureParams` is the serialised @signature-params value. */
function buildBase(message: HttpMessageParts, components: readonly Component[], signatureParams: string): string {
  let split: SplitTarget | undefined;
  let base = '';
  for (const component of components) {
    let value: string;
    switch (component.name as Derived) {
      case '@method':
        if (message.method === undefined) throw malformed('the message has no method');
        if (!METHOD.test(message.method)) throw malformed('the method is not a token');
        value = message.method;
        break;
      case '@target-uri':
        split ??= splitTarget(message.target);
        value = split.absolute ? message.target! : `${schemeValue(message)}://${authorityValue(message)}${split.asterisk ? '' : message.target!}`;
        break;
      case '@authority':
        value = authorityValue(message);
        break;
      case '@scheme':
        value = schemeValue(message);
        break;
      case '@request-target':
        split ??= splitTarget(message.target);
        value = message.target!;
        break;
      case '@path':
        split ??= splitTarget(message.target);
        value = split.path;
        break;
      case '@query':
        split ??= splitTarget(message.target);
        value = `?${split.query ?? ''}`;
        break;
      case '@query-param':
        split ??= splitTarget(message.target);
        value = queryParamValue(split.query, component.queryName!);
        break;
      case '@status': {
        const status = message.status;
        if (status === undefined) throw malformed('the message has no status');
        if (!Number.isInteger(status) || status < 100 || status > 999) throw malformed(`status ${status} is not three digits`);
        value = String(status);
        break;
      }
      default: {
        const field = fieldValue(message.headers, component.name);
        if (field === undefined) throw malformed(`covered field ${component.name} is not in the message`);
        value = field;
      }
    }
    base += `${component.label}: ${value}\n`;
  }
  return `${base}"@signature-params": ${signatureParams}`;
}

function serializeSignatureParams(components: readonly Component[], params: Parameters): string {
  let list = '(';
  for (let i = 0; i < components.length; i++) list += i === 0 ? components[i]!.label : ` ${components[i]!.label}`;
  return `${list})${serializeParameters(params)}`;
}

function parametersOf(params: SignatureParameters): Map<string, BareItem> {
  const out = new Map<string, BareItem>();
  for (const key of ['created', 'expires'] as const) {
    const value = params[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value)) throw new TypeError(`${key} must be an integer (epoch seconds)`);
    out.set(key, { type: 'integer', value });
  }
  for (const key of ['keyid', 'alg', 'nonce', 'tag'] as const) {
    const value = params[key];
    if (value !== undefined) out.set(key, { type: 'string', value });
  }
  return out;
}

/**
 * The signature base for `components` (this API's string form) and `params` (written in the
 * order created, expires, keyid, alg, nonce, tag). Throws SIGNATURE_MALFORMED when a component
 * is invalid, duplicated or missing from the message.
 */
export function signatureBase(message: HttpMessageParts, components: readonly ComponentIdentifier[], params: SignatureParameters = {}): string {
  const parsed = components.map(componentFromString);
  checkDistinct(parsed);
  return buildBase(message, parsed, serializeSignatureParams(parsed, parametersOf(params)));
}

// ---------------------------------------------------------------------------------------------
// Verification

function parseSignatureField(message: HttpMessageParts, name: string): Dictionary | undefined {
  const value = fieldValue(message.headers, name, false);
  if (value === undefined) return undefined;
  let dictionary: Dictionary;
  try {
    dictionary = parseDictionary(value);
  } catch (error) {
    if (error instanceof KeywardError) throw malformed(`${name}: ${error.detail ?? error.message}`, error);
    throw error;
  }
  if (dictionary.duplicates.length > 0) throw malformed(`${name}: duplicate labels ${dictionary.duplicates.join(', ')}`);
  if (dictionary.duplicateParameters.length > 0) {
    throw malformed(`${name}: duplicate parameters ${dictionary.duplicateParameters.join(', ')}`);
  }
  return dictionary;
}


function readParameters(params: Parameters): SignatureParameters {
  const out: SignatureParameters = {};
  for (const [key, value] of params) {
    switch (key) {
      case 'created':
      case 'expires':
        if (value.type !== 'integer') throw malformed(`${key} is a ${value.type}, not an integer`);
        out[key] = value.value;
        break;
      case 'keyid':
      case 'alg':
      case 'nonce':
      case 'tag':
        if (value.type !== 'string') throw malformed(`${key} is a ${value.type}, not a string`);
        out[key] = value.value;
        break;
      default:
      // Other parameters are not interpreted; they are covered through @signature-params.
    }
  }
  return out;
}

function selectAlgorithm(alg: string | undefined, policy: SignaturePolicy, key: KeyObject): SignatureAlgorithm {
  if (alg !== undefined) {
    if (!isSignatureAlgorithm(alg) || !policy.algorithms.includes(alg)) throw policyViolation(`alg ${JSON.stringify(alg)} is not allowed`);
    if (!ALGORITHMS[alg].fits(key)) throw policyViolation(`alg ${alg} does not fit the ${describeKey(key)}`);
    return alg;
  }
  let selected: SignatureAlgorithm | undefined;
  for (const candidate of policy.algorithms) {
    if (!ALGORITHMS[candidate].fits(key)) continue;
    if (selected !== undefined && selected !== candidate) {
      throw policyViolation(`no alg parameter and the ${describeKey(key)} fits both ${selected} and ${candidate}`);
    }
    selected = candidate;
  }
  if (selected === undefined) throw policyViolation(`the ${describeKey(key)} fits none of the allowed algorithms`);
  return selected;
}

function assertCanonicalComponent(id: string): void {
  let canonical: string | undefined;
  try {
    canonical = componentFromString(id).id;
  } catch {
    // reported below
  }
  if (canonical !== id) throw new TypeError(`policy component ${JSON.stringify(id)} is not a valid component identifier in canonical form`);
}

/**
 * Verifies the signature labelled `policy.label` on `message` with `key` (synchronous,
 * node:crypto). Throws a KeywardError: CONTENT SIGNATURE_MISSING / SIGNATURE_MALFORMED, TRUST
 * SIGNATURE_POLICY_VIOLATION / SIGNATURE_INVALID, TIME SIGNATURE_EXPIRED / SIGNATURE_NOT_YET_VALID.
 */
export function verifyHttpSignature(message: HttpMessageParts, policy: SignaturePolicy, key: KeyObject): VerifiedHttpSignature {
  const label = policy.label;
  const inputs = parseSignatureField(message, 'signature-input');
  const signatures = parseSignatureField(message, 'signature');
  if (inputs === undefined || signatures === undefined) {
    throw missing(`no ${inputs === undefined ? 'Signature-Input' : 'Signature'} field`);
  }
  const input = inputs.members.get(label);
  const signatureMember = signatures.members.get(label);
  if (input === undefined || signatureMember === undefined) {
    throw missing(`label ${label} is not in ${input === undefined ? 'Signature-Input' : 'Signature'}`);
  }
  if (input.kind !== 'inner-list') throw malformed(`Signature-Input ${label} is not an inner list`);
  if (signatureMember.kind !== 'item' || signatureMember.value.type !== 'binary') {
    throw malformed(`Signature ${label} is not a byte sequence`);
  }
  const signature = signatureMember.value.value;

  const components = input.items.map(componentFromItem);
  checkDistinct(components);
  const params = readParameters(input.params);

  const algorithm = selectAlgorithm(params.alg, policy, key);
  const expectedLength = ALGORITHMS[algorithm].length;
  if (expectedLength !== undefined && signature.length !== expectedLength) {
    throw malformed(`${algorithm} signature is ${signature.length} bytes, expected ${expectedLength}`);
  }
  for (const required of policy.requiredComponents) {
    if (!components.some((component) => component.id === required)) {
      assertCanonicalComponent(required);
      throw policyViolation(`required component ${required} is not covered`);
    }
  }
  if (policy.requireKeyId !== undefined && params.keyid !== policy.requireKeyId) {
    throw policyViolation(`keyid ${JSON.stringify(params.keyid)} is not ${JSON.stringify(policy.requireKeyId)}`);
  }

  const now = policy.now / 1000;
  const skew = policy.maxSkewSeconds ?? 30;
  const { created, expires } = params;
  if (created !== undefined && created > now + skew) {
    throw timeError('SIGNATURE_NOT_YET_VALID', 'The HTTP message signature is not yet valid.', {
      detail: `created ${created} is ${Math.round(created - now)} s ahead of now (skew ${skew} s)`,
    });
  }
  if (policy.maxAgeSeconds !== undefined) {
    if (created === undefined) throw policyViolation('the signature has no created parameter');
    if (now - created > policy.maxAgeSeconds) {
      throw timeError('SIGNATURE_EXPIRED', 'The HTTP message signature has expired.', {
        detail: `created ${created} is ${Math.round(now - created)} s old (max ${policy.maxAgeSeconds} s)`,
      });
    }
  }
  if (expires !== undefined && now >= expires + skew) {
    throw timeError('SIGNATURE_EXPIRED', 'The HTTP message signature has expired.', {
      detail: `expires ${expires} is ${Math.round(now - expires)} s in the past (skew ${skew} s)`,
    });
  }

  const base = buildBase(message, components, serializeSignatureParams(components, input.params));
  if (!verifyBytes(algorithm, Buffer.from(base, 'latin1'), signature, key)) {
    throw trustError('SIGNATURE_INVALID', 'The HTTP message signature is invalid.', {
      detail: `${algorithm} signature ${label} does not verify with the ${describeKey(key)}`,
    });
  }

  const verified: VerifiedHttpSignature = { label, components: components.map((component) => component.id), algorithm, base };
  if (created !== undefined) verified.created = created;
  if (expires !== undefined) verified.expires = expires;
  if (params.keyid !== undefined) verified.keyid = params.keyid;
  if (params.alg !== undefined) verified.alg = params.alg;
  if (params.nonce !== undefined) verified.nonce = params.nonce;
  if (params.tag !== undefined) verified.tag = params.tag;
  return verified;
}

// ---------------------------------------------------------------------------------------------
// Signing

/**
 * Signs `message` (simulators, tests, outgoing requests). Returns one Signature-Input and one
 * Signature dictionary member; append them to existing fields with ", " when several signatures
 * are present. Invalid options or components missing from the message are TypeErrors.
 */
export function signHttpMessage(message: HttpMessageParts, options: SignHttpMessageOptions): SignedHttpMessage {
  const { label, key, algorithm } = options;
  if (!isValidKey(label)) throw new TypeError(`label ${JSON.stringify(label)} is not a structured field key`);
  if (!isSignatureAlgorithm(algorithm)) throw new TypeError(`unsupported algorithm ${String(algorithm)}`);
  if (!ALGORITHMS[algorithm].fits(key) || key.type === 'public') {
    throw new TypeError(`${algorithm} cannot sign with a ${describeKey(key)}`);
  }
  const params = parametersOf({ ...options, alg: options.includeAlg === false ? undefined : algorithm });
  let components: Component[];
  let base: string;
  let signatureParams: string;
  try {
    components = options.components.map(componentFromString);
    checkDistinct(components);
    signatureParams = serializeSignatureParams(components, params);
    base = buildBase(message, components, signatureParams);
  } catch (error) {
    if (error instanceof KeywardError) throw new TypeError(`cannot sign: ${error.detail ?? error.message}`, { cause: error });
    throw error;
  }
  const signature = signBytes(algorithm, Buffer.from(base, 'latin1'), key);
  return {
    signatureInput: `${label}=${signatureParams}`,
    signature: `${label}=:${signature.toString('base64')}:`,
    base,
  };
}
