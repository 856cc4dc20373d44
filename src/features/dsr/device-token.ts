import { createHash, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { decodeCompactJws, signCompactJws, verifyEs256 } from '../../crypto/jose/compact-jws.js';
import type { Es256KeyRing } from '../../crypto/jose/es256-keys.js';
import { spkiToJwk } from '../../crypto/jose/jwk.js';
import { parseCertificate } from '../../crypto/x509/certificate.js';
import { contentError, timeError, trustError } from '../../errors.js';
import { isJsonObject } from '../../crypto/strict-json.js';
import { constantTimeEqual } from '../../crypto/bytes.js';

/**
 * The DSR device_token (gematik RFC-02): an ES256 JWT the GMS issues after a device attestation,
 * which PEPs check. Claims as the reference GMS writes them — iss, sub, iat, exp, jti, type
 * ("ANDROID" | "IOS"), userIdentifier, deviceHealth (whose deviceAttributes member carries the
 * device's attributes: the reference policies read deviceHealth.deviceAttributes) — and cnf
 * {"x5t#S256"} naming the device's mTLS client certificate (RFC 8705 §3.1), where the reference
 * put its own signing certificate's thumbprint.
 */

export const DEVICE_TOKEN_LIFETIME_SECONDS = 3600;
export const DEVICE_TYPES = ['ANDROID', 'IOS'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** What a device token says about a device, fixed when its attestation verified (an auth code carries it until the exchange). */
export interface DeviceTokenSubject {
  /** b64 SHA-256 of the mTLS public key's EC point: the registration's `sub`. */
  sub: string;
  type: DeviceType;
  /** The user (KVNR) the device is registered to. */
  userIdentifier: string;
  /** Platform facts (Android: integrityVerdict, keyIdAttestation, …; iOS: assertion, …) with deviceAttributes. */
  deviceHealth: Record<string, unknown>;
  /** x5t#S256 of the client certificate the attestation came over. */
  certificateThumbprint: string;
}

export interface DeviceTokenClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  type: DeviceType;
  userIdentifier: string;
  deviceHealth: Record<string, unknown>;
  cnf: { 'x5t#S256': string };
}

/** RFC 8705 §3.1 x5t#S256: base64url SHA-256 of the certificate's DER. */
export const certificateThumbprint = (der: Uint8Array): string => createHash('sha256').update(der).digest('base64url');

/** The token subject of an attested device; `deviceAttributes` lands in deviceHealth, where the reference puts it. */
export function deviceTokenSubject(fields: {
  sub: string;
  type: DeviceType;
  userIdentifier: string;
  deviceHealth: Record<string, unknown>;
  deviceAttributes?: Record<string, unknown>;
  clientCertificate: Uint8Array;
}): DeviceTokenSubject {
  const { deviceAttributes, clientCertificate, ...rest } = fields;
  return {
    ...rest,
    deviceHealth: deviceAttributes === undefined ? rest.deviceHealth : { ...rest.deviceHealth, deviceAttributes },
    certificateThumbprint: certificateThumbprint(clientCertificate),
  };
}

export interface IssuedDeviceToken {
  token: string;
  claims: DeviceTokenClaims;
  kid: string;
}

/** Signs a device token with the ring's key for `now` (exp = iat + lifetime, default 60 minutes). */
export function issueDeviceToken(
  keys: Es256KeyRing,
  subject: DeviceTokenSubject,
  options: { issuer: string; now: number; lifetimeSeconds?: number },
): IssuedDeviceToken {
  const key = keys.signingKey(options.now);
  const iat = Math.floor(options.now / 1000);
  const claims: DeviceTokenClaims = {
    iss: options.issuer,
    sub: subject.sub,
    iat,
    exp: iat + (options.lifetimeSeconds ?? DEVICE_TOKEN_LIFETIME_SECONDS),
    jti: randomUUID(),
    type: subject.type,
    userIdentifier: subject.userIdentifier,
    deviceHealth: subject.deviceHealth,
    cnf: { 'x5t#S256': subject.certificateThumbprint },
  };
  const token = signCompactJws({ alg: 'ES256', typ: 'JWT', kid: key.kid }, claims, key.privateKey);
  return { token, claims, kid: key.kid };
}

/** What a PEP or `keyward dsr verify-token` trusts: GMS signing keys by kid (from a JWKS). */
export interface DeviceTokenTrust {
  keys: Map<string, KeyObject>;
  /** Accepted iss values; any when absent (the reference GMS names itself "DSR GMS 1.0.0"). */
  issuers?: readonly string[];
  /** Seconds of clock skew tolerated on exp, iat and nbf (default 30). */
  clockToleranceSeconds?: number;
}

export interface DeviceTokenVerifyOptions {
  /** DER of the client certificate the token is presented with: `bound` says whether cnf names it. */
  clientCertificate?: Uint8Array;
  /** Throw DSR_TOKEN_UNBOUND unless bound (the strict PEP profile). */
  requireBinding?: boolean;
}

export interface VerifiedDeviceToken {
  claims: DeviceTokenClaims;
  /** The kid of the key that verified (a reference token without kid: the configured key matching its x5c). */
  kid: string;
  /** Whether cnf x5t#S256 names the presented client certificate (false when none was presented). */
  bound: boolean;
}

const malformed = (detail: string) => contentError('DSR_TOKEN_MALFORMED', 'The device token is malformed.', { detail });
const invalid = (detail: string) => trustError('DSR_TOKEN_INVALID', 'The device token is not valid.', { detail });

/** The trusted keys by EC point, for tokens that name their key by x5c rather than kid (the reference GMS's). */
const byPoint = new WeakMap<Map<string, KeyObject>, Map<string, [string, KeyObject]>>();

function keysByPoint(keys: Map<string, KeyObject>): Map<string, [string, KeyObject]> {
  let points = byPoint.get(keys);
  if (!points) {
    points = new Map();
    for (const [kid, key] of keys) {
      const jwk = key.export({ format: 'jwk' }) as JsonWebKey;
      points.set(`${jwk.x}.${jwk.y}`, [kid, key]);
    }
    byPoint.set(keys, points);
  }
  return points;
}

/**
 * The verifying key: by kid; a token without kid (the reference GMS signs without one, with its
 * certificate in x5c) is accepted only when its x5c leaf's key is itself one of the trusted
 * keys — the certificate names the key, the configuration trusts it.
 */
function verifyingKey(header: Record<string, unknown>, trust: DeviceTokenTrust): [string, KeyObject] {
  if (header.kid !== undefined) {
    if (typeof header.kid !== 'string') throw invalid('kid is not a string');
    const key = trust.keys.get(header.kid);
    if (!key) throw invalid(`unknown kid ${JSON.stringify(header.kid.slice(0, 80))}`);
    return [header.kid, key];
  }
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || typeof x5c[0] !== 'string') throw invalid('neither kid nor x5c names the signing key');
  const leaf = parseCertificate(Buffer.from(x5c[0], 'base64'), 'DSR_TOKEN_MALFORMED', { cache: false });
  const jwk = spkiToJwk(leaf.spki);
  const found = jwk && keysByPoint(trust.keys).get(`${jwk.x}.${jwk.y}`);
  if (!found) throw invalid('the x5c signing certificate holds no trusted key');
  return found;
}

/**
 * Verifies a device token synchronously: alg ES256 only (no "none", no HS256 with a public key),
 * typ JWT or absent, no crit, the signature by a trusted key, iss when restricted, exp/iat/nbf
 * with the tolerated skew, and the claims' shapes. With a client certificate, `bound` says
 * whether cnf x5t#S256 names it (compared in constant time). Throws DSR_TOKEN_MALFORMED,
 * DSR_TOKEN_INVALID, DSR_TOKEN_EXPIRED, DSR_TOKEN_NOT_YET_VALID or (requireBinding) DSR_TOKEN_UNBOUND.
 */
export function verifyDeviceToken(
  token: string,
  trust: DeviceTokenTrust,
  now: number,
  options: DeviceTokenVerifyOptions = {},
): VerifiedDeviceToken {
  const jws = decodeCompactJws(token, malformed);
  const { header, payload: claims } = jws;
  if (header.alg !== 'ES256') throw invalid(`alg ${JSON.stringify(header.alg)}`);
  if (header.typ !== undefined && header.typ !== 'JWT') throw invalid(`typ ${JSON.stringify(header.typ)}`);
  if (header.crit !== undefined) throw invalid('crit is not supported');
  const [kid, key] = verifyingKey(header, trust);
  if (!verifyEs256(jws, key)) throw invalid('signature');

  if (trust.issuers && !trust.issuers.includes(claims.iss as string))
    throw invalid(`iss ${JSON.stringify(claims.iss)}`);
  const { iat, exp, nbf } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !Number.isFinite(exp))
    throw malformed('iat and exp are required numbers');
  if (exp <= iat) throw invalid('exp is not after iat');
  const tolerance = (trust.clockToleranceSeconds ?? 30) * 1000;
  if (exp * 1000 <= now - tolerance) throw timeError('DSR_TOKEN_EXPIRED', 'The device token has expired.');
  if (iat * 1000 > now + tolerance || (typeof nbf === 'number' && nbf * 1000 > now + tolerance))
    throw timeError('DSR_TOKEN_NOT_YET_VALID', 'The device token is not valid yet.');
  if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string' || claims.sub === '')
    throw malformed('iss and sub are required strings');
  if (!DEVICE_TYPES.includes(claims.type as DeviceType)) throw malformed(`type ${JSON.stringify(claims.type)}`);
  if (typeof claims.userIdentifier !== 'string') throw malformed('userIdentifier is a required string');
  if (!isJsonObject(claims.deviceHealth)) throw malformed('deviceHealth is a required object');
  if (claims.jti !== undefined && typeof claims.jti !== 'string') throw malformed('jti is not a string');
  const cnf = claims.cnf;
  const thumbprint = isJsonObject(cnf) ? cnf['x5t#S256'] : undefined;
  if (typeof thumbprint !== 'string') throw invalid('cnf holds no x5t#S256');

  let bound = false;
  if (options.clientCertificate) {
    const expected = Buffer.from(certificateThumbprint(options.clientCertificate), 'ascii');
    const presented = Buffer.from(thumbprint, 'ascii');
    bound = constantTimeEqual(presented, expected);
  }
  if (options.requireBinding && !bound)
    throw trustError('DSR_TOKEN_UNBOUND', 'The device token is not bound to the presented client certificate.', {
      detail: options.clientCertificate ? 'cnf x5t#S256 names another certificate' : 'no client certificate presented',
    });
  return { claims: claims as unknown as DeviceTokenClaims, kid, bound };
}
