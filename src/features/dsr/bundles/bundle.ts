import type { KeyObject } from 'node:crypto';
import { type DecodedJws, decodeCompactJws, signCompactJws, verifyEs256 } from '../../../crypto/jose/compact-jws.js';
import { contentError, trustError } from '../../../errors.js';
import { type PdpData, PdpDataError, type PreparedPdpData, preparePdpData } from '../pdp/context.js';
import { type CompiledPolicies, compilePolicies, PdpPolicyError } from '../pdp/decide.js';

/**
 * A DSR policy bundle (the PAP's output): a compact JWS, ES256, signed by an administration key
 * named by kid, whose payload is `{version, policies, data}` — the Cedar policy text and the data
 * in the reference bundle's layout (android_data, ios_data, security_data; the Tor exit-node list
 * under security_data.torExitNodes, where OPA nests it). A verified bundle is compiled and
 * prepared once, ready for decide().
 */

/** The JWS typ a bundle carries (RFC 8725 §3.11), so no other JWS an administration key signs passes for a bundle. */
export const BUNDLE_TYP = 'dsr-policy-bundle+jws';

/** Bound on the compact JWS, checked before any decoding: room for the reference data with large IP and Tor lists. */
export const MAX_BUNDLE_LENGTH = 8 * 1024 * 1024;

export interface PolicyBundlePayload {
  /** Non-negative safe integer; each bundle in force must be newer than the one before. */
  version: number;
  /** Cedar policy text following the PDP's conventions (see default-policies.ts). */
  policies: string;
  data: PdpData;
}

/** A bundle whose signature, version, policies and data have been checked: ready to evaluate. */
export interface VerifiedBundle {
  readonly version: number;
  /** The administration key that signed it. */
  readonly kid: string;
  readonly policies: CompiledPolicies;
  readonly data: PreparedPdpData;
  /** The payload as signed, for display and for merging PIP lists into a new bundle. */
  readonly payload: PolicyBundlePayload;
}

export interface BundleVerifyOptions {
  /** Administration public keys (EC P-256) by kid. */
  keys: ReadonlyMap<string, KeyObject>;
  /** The version in force: the bundle's version must be strictly greater. */
  minVersion?: number;
  /** Defaults to MAX_BUNDLE_LENGTH. */
  maxLength?: number;
}

const PAYLOAD_MEMBERS = ['version', 'policies', 'data'];

const malformed = (detail: string) =>
  contentError('DSR_BUNDLE_MALFORMED', 'The policy bundle is malformed.', { detail });
const badSignature = (detail: string) =>
  trustError('DSR_BUNDLE_SIGNATURE_INVALID', 'The policy bundle is not signed by a trusted administration key.', {
    detail,
  });

/** The compact JWS, strictly decoded (duplicate members refused at any depth), with a bound fit for bundles. */
function decodeBundle(jws: string, maxLength: number): DecodedJws {
  if (typeof jws !== 'string') throw malformed('not a string');
  return decodeCompactJws(jws.trim(), malformed, { maxLength });
}

const isVersion = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** The payload's shape, then the policies compiled and the data prepared; typed errors for each. */
function checkPayload(payload: Record<string, unknown>): Omit<VerifiedBundle, 'kid'> {
  const extra = Object.keys(payload).filter((key) => !PAYLOAD_MEMBERS.includes(key));
  if (extra.length > 0) throw malformed(`unknown payload members: ${extra.slice(0, 5).join(', ')}`);
  const { version, policies, data } = payload;
  if (!isVersion(version)) throw malformed('version must be a non-negative integer');
  if (typeof policies !== 'string') throw malformed('policies must be Cedar policy text');
  if (data === undefined) throw malformed('data is required');

  let compiled: CompiledPolicies;
  try {
    compiled = compilePolicies(policies);
  } catch (error) {
    if (!(error instanceof PdpPolicyError)) throw error;
    throw contentError('DSR_BUNDLE_POLICIES_INVALID', 'The policy bundle holds invalid Cedar policies.', {
      detail: error.message,
      cause: error,
    });
  }
  let prepared: PreparedPdpData;
  try {
    prepared = preparePdpData(data);
  } catch (error) {
    if (!(error instanceof PdpDataError)) throw error;
    throw contentError('DSR_BUNDLE_DATA_INVALID', 'The policy bundle holds invalid data.', {
      detail: error.message,
      cause: error,
    });
  }
  return { version, policies: compiled, data: prepared, payload: { version, policies, data: data as PdpData } };
}

/**
 * Verifies a bundle, in order: the size bound; strict decoding (base64url, JSON objects without
 * duplicate members); header alg ES256, typ BUNDLE_TYP, no crit, kid naming a configured key; the
 * signature; the payload's members; the version above `minVersion`; the policies compiled and
 * the data prepared. Throws DSR_BUNDLE_MALFORMED, DSR_BUNDLE_SIGNATURE_INVALID,
 * DSR_BUNDLE_VERSION_STALE, DSR_BUNDLE_POLICIES_INVALID or DSR_BUNDLE_DATA_INVALID.
 */
export function verifyBundle(jws: string, options: BundleVerifyOptions): VerifiedBundle {
  const { keys, minVersion, maxLength = MAX_BUNDLE_LENGTH } = options;
  if (minVersion !== undefined && !Number.isSafeInteger(minVersion))
    throw new TypeError('minVersion must be a safe integer');
  const decoded = decodeBundle(jws, maxLength);
  const { header, payload } = decoded;
  if (header.alg !== 'ES256') throw badSignature(`alg ${JSON.stringify(header.alg)}`);
  if (header.typ !== BUNDLE_TYP) throw badSignature(`typ ${JSON.stringify(header.typ)}`);
  if (header.crit !== undefined) throw badSignature('crit is not supported');
  if (typeof header.kid !== 'string') throw badSignature('kid is missing');
  const key = keys.get(header.kid);
  if (!key) throw badSignature(`unknown kid ${JSON.stringify(header.kid.slice(0, 80))}`);
  if (!verifyEs256(decoded, key)) throw badSignature('signature');

  if (minVersion !== undefined && isVersion(payload.version) && payload.version <= minVersion)
    throw trustError('DSR_BUNDLE_VERSION_STALE', 'The policy bundle is not newer than the one in force.', {
      detail: `version ${payload.version} is not greater than ${minVersion}`,
    });
  return { kid: header.kid, ...checkPayload(payload) };
}

/**
 * A bundle Keyward holds without a signature (the shipped default set, version 0): checked as
 * verifyBundle checks a payload, `kid` naming where it came from.
 */
export function unsignedBundle(payload: PolicyBundlePayload, kid: string): VerifiedBundle {
  return { kid, ...checkPayload({ version: payload.version, policies: payload.policies, data: payload.data }) };
}

/**
 * Signs a bundle with an administration key (EC P-256). The payload is checked as verifyBundle
 * would check it, so a bundle that would be refused is never signed: the same typed errors.
 */
export function signBundle(payload: PolicyBundlePayload, key: KeyObject, kid: string): string {
  if (key.type !== 'private' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new TypeError('a policy bundle is signed with an EC P-256 private key');
  if (typeof kid !== 'string' || kid === '') throw new TypeError('kid must be a non-empty string');
  const body: PolicyBundlePayload = { version: payload.version, policies: payload.policies, data: payload.data };
  checkPayload(body as unknown as Record<string, unknown>);
  const jws = signCompactJws({ alg: 'ES256', typ: BUNDLE_TYP, kid }, body, key);
  if (jws.length > MAX_BUNDLE_LENGTH) throw malformed(`longer than ${MAX_BUNDLE_LENGTH} characters`);
  return jws;
}
