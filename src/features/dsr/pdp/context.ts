import { BlockList, isIP } from 'node:net';
import type { CedarValueJson, Context, EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/nodejs';

/**
 * From the PDP input of PROTOCOLS.md §5 ({request, deviceTokenValid, deviceTokenPayload}) and a
 * policy bundle's data (the reference bundle's layout: android_data, ios_data, security_data) to
 * a Cedar request. What Cedar cannot do well or fast — membership in the bundle's lists, CIDR
 * ranges, the Tor exit-node list, the iOS version pattern, the patch-date comparison — is
 * computed here and passed in the context as plain values; the policies stay declarative.
 *
 * The input is untrusted JSON and read the way the reference's Rego reads it: a path that does
 * not lead to a value is undefined. A derived value is left out of the context when the token
 * lacks the attribute the reference's violation reports, so the policy that reads it errors and
 * decide() denies that part of the verdict without a violation — what the Rego does when a rule
 * body is undefined.
 */

/** A policy bundle's data is malformed (wrong types, an unparsable CIDR). */
export class PdpDataError extends Error {
  override readonly name = 'PdpDataError';
}

/** The data sections of a policy bundle, in the reference bundle's layout. */
export interface PdpData {
  android_data?: {
    allowedBuildModel?: string[];
    allowedApplications?: { packageName: string; version: number; certificateSha256Digest: string }[];
    minimumSecurityPatchLevel: string;
  };
  ios_data?: {
    allowedSystemModels?: string[];
    allowedRpIDs?: string[];
  };
  security_data?: {
    /** Addresses (compared as the reference does, exactly) and, beyond the reference, CIDR ranges. */
    blocklistClientIPs?: string[];
    allowedCountryCodes?: string[];
    blocklistUserIdentifier?: string[];
    torExitNodes?: string[];
  };
}

/** The bundle's data, validated and turned into lookups once per bundle. */
export interface PreparedPdpData {
  readonly applications: ReadonlySet<string>;
  readonly buildModels: ReadonlySet<string>;
  /** Undefined when the bundle sets none: every Android device is then denied, without a violation, as in the Rego. */
  readonly minimumSecurityPatchLevel: string | undefined;
  readonly iosSystemModels: ReadonlySet<string>;
  readonly iosRpIds: ReadonlySet<string>;
  readonly blockedAddresses: ReadonlySet<string>;
  readonly blockedRanges: BlockList;
  readonly allowedCountryCodes: ReadonlySet<string>;
  readonly blockedUsers: ReadonlySet<string>;
  readonly torExitNodes: ReadonlySet<string>;
}

/** What isAuthorized needs besides the policies. */
export interface CedarRequest {
  principal: EntityUidJson;
  action: EntityUidJson;
  resource: EntityUidJson;
  context: Context;
  entities: EntityJson[];
}

export const DEVICE_TYPE = 'DSR::Device';
export const ACTION = { type: 'DSR::Action', id: 'access' } as const;
export const RESOURCE_TYPE = 'DSR::Resource';

type Json = unknown;

const isObject = (value: Json): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path`, or undefined where Rego's reference would be undefined (a missing key, a non-object on the way). */
function at(value: Json, ...path: string[]): Json {
  let current = value;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

// Go's strings.TrimSpace, which Rego's trim_space uses (unicode.IsSpace).
const SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
const EDGE_SPACE = new RegExp(`^${SPACE}|${SPACE}$`, 'g');

/** Rego's trim_space: undefined for a non-string (a builtin error, which leaves the rule undefined). */
const trimSpace = (value: Json): string | undefined =>
  typeof value === 'string' ? value.replace(EDGE_SPACE, '') : undefined;

const member = (set: ReadonlySet<string>, value: Json): boolean => typeof value === 'string' && set.has(value);

// A dotted decimal version whose major part is written as the reference's pattern
// ^(17|16)(\.[0-9]+)*$ would write it: no sign, no leading zero.
const DOTTED_VERSION = /^(0|[1-9][0-9]*)(\.[0-9]+)*$/;

/**
 * The major version of an iOS systemVersion (trimmed, as the reference does), or -1 when it is
 * not a dotted decimal version; `[16, 17].contains(major)` then decides as the reference's
 * pattern does.
 */
export function iosMajorVersion(systemVersion: Json): number {
  const text = trimSpace(systemVersion);
  const match = text === undefined ? null : DOTTED_VERSION.exec(text);
  const major = match ? Number(match[1]) : -1;
  return Number.isSafeInteger(major) ? major : -1;
}

/**
 * A token value as a Cedar attribute: strings, booleans and safe integers as themselves, anything
 * else (null, fractions, arrays, objects) as its JSON text — present, never equal to a number, and
 * never read by Cedar as an entity or extension reference.
 */
function cedarScalar(value: Json): CedarValueJson {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  return JSON.stringify(value) ?? 'undefined';
}

/** Sets `record[key]` to the Cedar form of `value` when it is defined. */
function put(record: Record<string, CedarValueJson>, key: string, value: Json): void {
  if (value !== undefined) record[key] = cedarScalar(value);
}

// ---------------------------------------------------------------------------------------------
// The bundle's data

function strings(section: Record<string, Json>, key: string, where: string): string[] {
  const value = section[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new PdpDataError(`${where}.${key} must be an array of strings`);
  }
  return value;
}

function section(data: Record<string, Json>, key: string): Record<string, Json> {
  const value = data[key];
  if (value === undefined) return {};
  if (!isObject(value)) throw new PdpDataError(`${key} must be an object`);
  return value;
}

const applicationKey = (packageName: string, version: number, digest: string) =>
  JSON.stringify([packageName, version, digest]);

/**
 * Validates a bundle's data and builds its lookups. A list the bundle leaves out is empty, as in
 * the Rego (an absent allow-list allows nothing, an absent blocklist blocks nothing).
 */
export function preparePdpData(data: unknown): PreparedPdpData {
  if (!isObject(data)) throw new PdpDataError('the policy data must be an object');
  const android = section(data, 'android_data');
  const ios = section(data, 'ios_data');
  const security = section(data, 'security_data');

  const applications = new Set<string>();
  const listed = android.allowedApplications ?? [];
  if (!Array.isArray(listed)) throw new PdpDataError('android_data.allowedApplications must be an array');
  for (const app of listed) {
    const { packageName, version, certificateSha256Digest: digest } = isObject(app) ? app : {};
    if (typeof packageName !== 'string' || typeof version !== 'number' || typeof digest !== 'string') {
      throw new PdpDataError(
        'android_data.allowedApplications entries need packageName (string), version (number), certificateSha256Digest (string)',
      );
    }
    applications.add(applicationKey(packageName, version, digest));
  }
  const minimum = android.minimumSecurityPatchLevel;
  if (minimum !== undefined && typeof minimum !== 'string') {
    throw new PdpDataError('android_data.minimumSecurityPatchLevel must be a string (YYYY-MM-DD)');
  }

  const blockedAddresses = new Set<string>();
  const blockedRanges = new BlockList();
  for (const entry of strings(security, 'blocklistClientIPs', 'security_data')) {
    const slash = entry.indexOf('/');
    if (slash < 0) {
      blockedAddresses.add(entry);
      const family = isIP(entry);
      if (family) blockedRanges.addAddress(entry, family === 6 ? 'ipv6' : 'ipv4');
      continue;
    }
    const address = entry.slice(0, slash);
    const bits = entry.slice(slash + 1);
    const family = isIP(address);
    const prefix = /^[0-9]{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    if (!family || !(prefix <= (family === 6 ? 128 : 32))) {
      throw new PdpDataError(`security_data.blocklistClientIPs: ${JSON.stringify(entry)} is not an address or CIDR`);
    }
    blockedRanges.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }

  return {
    applications,
    buildModels: new Set(strings(android, 'allowedBuildModel', 'android_data')),
    minimumSecurityPatchLevel: minimum,
    iosSystemModels: new Set(strings(ios, 'allowedSystemModels', 'ios_data')),
    iosRpIds: new Set(strings(ios, 'allowedRpIDs', 'ios_data')),
    blockedAddresses,
    blockedRanges,
    allowedCountryCodes: new Set(strings(security, 'allowedCountryCodes', 'security_data')),
    blockedUsers: new Set(strings(security, 'blocklistUserIdentifier', 'security_data')),
    torExitNodes: addressSet(strings(security, 'torExitNodes', 'security_data')),
  };
}

/**
 * An IPv6 address written out in full (eight groups of four lower-case hex digits, the form of
 * the reference's Tor list), or undefined for anything else; an IPv4-mapped address gives its
 * IPv4 address.
 */
export function expandIpv6(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const zone = address.indexOf('%');
  let text = (zone < 0 ? address : address.slice(0, zone)).toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    const tail = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    text = text.slice(0, dotted.index) + tail;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const full = groups.map((group) => group.padStart(4, '0')).join(':');
  return full.startsWith('0000:0000:0000:0000:0000:ffff:') && dotted ? dotted.slice(1).join('.') : full;
}

/** Membership of an address in a list of addresses, whatever way an IPv6 address is written. */
function addressListed(set: ReadonlySet<string>, address: Json): boolean {
  if (typeof address !== 'string') return false;
  if (set.has(address)) return true;
  const expanded = address.includes(':') ? expandIpv6(address) : undefined;
  return expanded !== undefined && set.has(expanded);
}

/** Adds the expanded form of every IPv6 address of a list, so that addressListed finds any spelling. */
function addressSet(list: string[]): Set<string> {
  const set = new Set(list);
  for (const entry of list) {
    const expanded = entry.includes(':') ? expandIpv6(entry) : undefined;
    if (expanded !== undefined) set.add(expanded);
  }
  return set;
}

/** The reference compares the address exactly; Keyward also matches it against the CIDR ranges. */
function addressBlocked(data: PreparedPdpData, clientIp: Json): boolean {
  if (typeof clientIp !== 'string') return false;
  if (data.blockedAddresses.has(clientIp)) return true;
  const family = isIP(clientIp);
  return family !== 0 && data.blockedRanges.check(clientIp, family === 6 ? 'ipv6' : 'ipv4');
}

// ---------------------------------------------------------------------------------------------
// The request

/** android.rego: allowed_application_predicate. */
function applicationAllowed(data: PreparedPdpData, appIntegrity: Json): boolean {
  const packageName = trimSpace(at(appIntegrity, 'packageName'));
  const version = at(appIntegrity, 'versionCode');
  const digests = at(appIntegrity, 'certificateSha256Digest');
  const digest = Array.isArray(digests) ? digests[0] : undefined;
  return (
    packageName !== undefined &&
    typeof version === 'number' &&
    typeof digest === 'string' &&
    data.applications.has(applicationKey(packageName, version, digest))
  );
}

/**
 * android.rego: build_version_security_patch_predicate. Both are "YYYY-MM-DD", compared as
 * strings like the Rego does. A non-string patch level fails (Rego's cross-type ordering would
 * let an array or object pass; Keyward does not).
 */
function securityPatchCurrent(data: PreparedPdpData, patch: Json): boolean | undefined {
  if (data.minimumSecurityPatchLevel === undefined) return undefined;
  return typeof patch === 'string' && patch >= data.minimumSecurityPatchLevel;
}

function androidContext(data: PreparedPdpData, health: Json, principal: Record<string, CedarValueJson>) {
  const appIntegrity = at(health, 'integrityVerdict', 'appIntegrity');
  const build = at(health, 'deviceAttributes', 'build');
  const packageName = at(appIntegrity, 'packageName');
  const versionCode = at(appIntegrity, 'versionCode');
  const model = at(build, 'model');
  const patch = at(build, 'version', 'securityPatch');
  put(principal, 'packageName', packageName);
  put(principal, 'versionCode', versionCode);
  put(principal, 'buildModel', model);
  put(principal, 'securityPatch', patch);
  put(principal, 'attestationSecurityLevel', at(health, 'keyIdAttestation', 'attestationSecurityLevel'));
  put(principal, 'passwordComplexity', at(health, 'deviceAttributes', 'devicePolicyManager', 'passwordComplexity'));

  const context: Record<string, CedarValueJson> = {};
  // The reference reports the package name and version code.
  if (packageName !== undefined && versionCode !== undefined) {
    context.applicationAllowed = applicationAllowed(data, appIntegrity);
  }
  if (model !== undefined) context.buildModelAllowed = member(data.buildModels, model);
  const current = patch === undefined ? undefined : securityPatchCurrent(data, patch);
  if (current !== undefined) context.securityPatchCurrent = current;
  return context;
}

function iosContext(data: PreparedPdpData, health: Json, principal: Record<string, CedarValueJson>) {
  const systemModel = at(health, 'deviceAttributes', 'systemModel');
  const systemVersion = at(health, 'deviceAttributes', 'systemVersion');
  const rpId = at(health, 'assertion', 'rpID');
  put(principal, 'systemModel', systemModel);
  put(principal, 'systemVersion', systemVersion);
  put(principal, 'rpID', rpId);

  const context: Record<string, CedarValueJson> = {};
  if (systemModel !== undefined) context.systemModelAllowed = member(data.iosSystemModels, trimSpace(systemModel));
  if (systemVersion !== undefined) context.systemVersionMajor = iosMajorVersion(systemVersion);
  if (rpId !== undefined) context.rpIdAllowed = member(data.iosRpIds, rpId);
  return context;
}

/**
 * The Cedar request for one PDP input: principal DSR::Device::"<token sub>" with the token's
 * facts as attributes (type always, "" without a token), action DSR::Action::"access", resource
 * DSR::Resource::"<request path>", and a context of
 * {deviceTokenValid, request{method, path, clientIP, countryCode}, security{…}, android{…} | ios{…}}.
 */
export function toCedarRequest(input: unknown, data: PreparedPdpData): CedarRequest {
  const request = at(input, 'request');
  const payload = at(input, 'deviceTokenPayload');
  const health = at(payload, 'deviceHealth');
  const type = at(payload, 'type');
  const sub = at(payload, 'sub');
  const clientIp = at(request, 'clientIP');
  const countryCode = at(request, 'countryCode');
  const path = at(request, 'path');

  const attrs: Record<string, CedarValueJson> = { type: typeof type === 'string' ? type : '' };
  put(attrs, 'userIdentifier', at(payload, 'userIdentifier'));

  const requestContext: Record<string, CedarValueJson> = {};
  put(requestContext, 'method', at(request, 'method'));
  put(requestContext, 'path', path);
  put(requestContext, 'clientIP', clientIp);
  put(requestContext, 'countryCode', countryCode);

  const security: Record<string, CedarValueJson> = {
    clientIpBlocked: addressBlocked(data, clientIp),
    torExitNode: addressListed(data.torExitNodes, clientIp),
    userIdentifierBlocked: member(data.blockedUsers, at(payload, 'userIdentifier')),
  };
  // The reference reports the country code.
  // The lists hold upper-case codes; a GeoIP module may write lower case.
  if (countryCode !== undefined)
    security.countryCodeAllowed = member(
      data.allowedCountryCodes,
      typeof countryCode === 'string' ? countryCode.toUpperCase() : countryCode,
    );

  const context: Context = {
    deviceTokenValid: at(input, 'deviceTokenValid') === true,
    request: requestContext,
    security,
  };
  if (type === 'ANDROID') context.android = androidContext(data, health, attrs);
  else if (type === 'IOS') context.ios = iosContext(data, health, attrs);

  const principal = { type: DEVICE_TYPE, id: typeof sub === 'string' ? sub : '' };
  return {
    principal,
    action: ACTION,
    resource: { type: RESOURCE_TYPE, id: typeof path === 'string' ? path : '' },
    context,
    entities: [{ uid: principal, attrs, parents: [] }],
  };
}
