import { createHash, randomUUID } from 'node:crypto';
import { BoundedCache } from '../../../crypto/bounded-cache.js';
import { isKeywardError, trustError } from '../../../errors.js';
import {
  certificateThumbprint,
  type DeviceTokenClaims,
  type DeviceTokenTrust,
  type VerifiedDeviceToken,
  verifyDeviceToken,
} from '../device-token.js';
import type { PreparedPdpData } from '../pdp/context.js';
import { type CompiledPolicies, decide, type PdpVerdict } from '../pdp/decide.js';
import {
  type ForwardedHeaders,
  type PdpInput,
  parseEscapedCertificate,
  pdpInput,
  readAuthRequest,
} from './request-context.js';
import { constantTimeEqual } from '../../../crypto/bytes.js';

/**
 * The DSR policy enforcement point behind nginx's auth_request (PROTOCOLS.md §5, gematik
 * poc-dsr-pep): reads the forwarded request, verifies the device token — in the strict profile
 * also its cnf x5t#S256 binding to the forwarded client certificate — and asks the PDP.
 *
 * A token that is missing, does not verify or is not bound does not stop the decision: the PDP
 * gets deviceTokenValid false and no payload, and still computes the security verdict (the
 * reference PEP answered ACCESS_DENIED without one). Only a malformed request is denied without
 * a decision.
 *
 * Verified tokens are kept, keyed by their SHA-256, until they expire, so a device's repeated
 * requests do not repeat the signature check; the binding is checked on every request, since
 * each may present another certificate.
 */

export const PEP_PROFILES = ['strict', 'lax'] as const;
export type PepProfile = (typeof PEP_PROFILES)[number];

export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

export interface PepOptions {
  trust: DeviceTokenTrust;
  policies: CompiledPolicies;
  data: PreparedPdpData;
  /** Verified tokens kept (least recently used go first; default 10,000). */
  tokenCacheSize?: number;
  /** Lowercase name of the header carrying $ssl_client_escaped_cert (default x-client-certificate). */
  clientCertificateHeader?: string;
  /** The token verifier (tests count its calls). */
  verify?: typeof verifyDeviceToken;
}

/** Why the token did not count (for logs and metrics). */
export interface TokenFailure {
  code: string;
  detail?: string;
}

export interface PepDecision {
  status: 200 | 403;
  /** The response headers for nginx: X-Device-Id and X-User-Id on allow, X-Pep-Result on deny. */
  headers: Record<string, string>;
  /** The decision id in X-Pep-Result, for correlating logs. */
  decisionId: string;
  /** The PDP input (undefined when the request was malformed): for the shadow evaluation and logs. */
  input?: PdpInput;
  /** The PDP's verdict (undefined when the request was malformed). */
  verdict?: PdpVerdict;
  /** Why the device token counted as invalid; undefined when it was valid. */
  tokenFailure?: TokenFailure;
  /** Whether the token's signature check was spared by the cache. */
  cached: boolean;
  /** The forbids that denied and the evaluation errors (for logs). */
  denied: string[];
  errors: string[];
  /** The request's malformation (ACCESS_DENIED without a decision). */
  requestError?: TokenFailure;
}

interface CachedToken {
  verified: VerifiedDeviceToken;
  /** ms: the token verifies from … until (exclusive), with the tolerated skew. */
  validFrom: number;
  validUntil: number;
}

/** JSON safe as a header value and as the reference's Go encoder writes it (<, >, & and non-ASCII escaped). */
const headerJson = (value: unknown) =>
  JSON.stringify(value).replace(/[<>&\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A claim as a header value: as is when visible ASCII, otherwise percent-encoded. */
const headerValue = (value: string) => (/^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value));

const unbound = (detail: string) =>
  trustError('DSR_TOKEN_UNBOUND', 'The device token is not bound to the presented client certificate.', { detail });

const failureOf = (error: unknown): TokenFailure => {
  if (isKeywardError(error))
    return { code: error.code, ...(error.detail === undefined ? {} : { detail: error.detail }) };
  throw error;
};

export class PolicyEnforcementPoint {
  private trust: DeviceTokenTrust;
  private policies: CompiledPolicies;
  private data: PreparedPdpData;
  private tokens: BoundedCache<string, CachedToken>;
  /** x5t#S256 of forwarded certificates by the SHA-256 of their escaped text (well-formed ones only). */
  private readonly thumbprints: BoundedCache<string, string>;
  private readonly tokenCacheSize: number;
  private readonly clientCertificateHeader: string | undefined;
  private readonly verify: typeof verifyDeviceToken;

  constructor(options: PepOptions) {
    this.trust = options.trust;
    this.policies = options.policies;
    this.data = options.data;
    this.tokenCacheSize = options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE;
    if (!Number.isSafeInteger(this.tokenCacheSize) || this.tokenCacheSize < 1)
      throw new RangeError('tokenCacheSize must be a positive integer');
    this.tokens = new BoundedCache(this.tokenCacheSize);
    this.thumbprints = new BoundedCache(this.tokenCacheSize);
    this.clientCertificateHeader = options.clientCertificateHeader;
    this.verify = options.verify ?? verifyDeviceToken;
  }

  /** A new bundle (policies and data) or new GMS keys; new keys forget the verified tokens. */
  update(changes: { trust?: DeviceTokenTrust; policies?: CompiledPolicies; data?: PreparedPdpData }): void {
    if (changes.policies) this.policies = changes.policies;
    if (changes.data) this.data = changes.data;
    if (changes.trust) {
      this.trust = changes.trust;
      this.tokens = new BoundedCache(this.tokenCacheSize);
    }
  }

  /** Decides one auth_request. Never throws for what a client sends. */
  decide(
    headers: ForwardedHeaders,
    profile: PepProfile,
    now: number,
    options: { remoteAddress?: string } = {},
  ): PepDecision {
    const decisionId = randomUUID();
    let request: ReturnType<typeof readAuthRequest>;
    try {
      request = readAuthRequest(headers, {
        remoteAddress: options.remoteAddress,
        ...(this.clientCertificateHeader === undefined
          ? {}
          : { clientCertificateHeader: this.clientCertificateHeader }),
      });
    } catch (error) {
      return {
        status: 403,
        headers: { 'X-Pep-Result': headerJson({ errorCode: 'ACCESS_DENIED', description: 'Access denied' }) },
        decisionId,
        cached: false,
        denied: [],
        errors: [],
        requestError: failureOf(error),
      };
    }

    let claims: DeviceTokenClaims | undefined;
    let tokenFailure: TokenFailure | undefined;
    let cached = false;
    try {
      const token = this.verifiedToken(request.deviceToken, now);
      cached = token.cached;
      if (profile === 'strict') this.checkBinding(token.verified.claims, request.escapedCertificate);
      claims = token.verified.claims;
    } catch (error) {
      tokenFailure = failureOf(error);
    }

    const input = pdpInput(request.request, claims);
    const { verdict, denied, errors } = decide(this.policies, this.data, input);
    const base = { decisionId, input, verdict, cached, denied, errors, ...(tokenFailure ? { tokenFailure } : {}) };
    if (!verdict.allow) {
      const result = {
        errorCode: 'POLICY_DENIED',
        description: 'Policy denied',
        decision: { id: decisionId, result: verdict },
      };
      return { status: 403, headers: { 'X-Pep-Result': headerJson(result) }, ...base };
    }
    const allowHeaders: Record<string, string> = {};
    if (claims) {
      allowHeaders['X-Device-Id'] = headerValue(claims.sub);
      allowHeaders['X-User-Id'] = headerValue(claims.userIdentifier);
    }
    return { status: 200, headers: allowHeaders, ...base };
  }

  /** The token verified, from the cache while it is within its validity. */
  private verifiedToken(token: string | undefined, now: number): { verified: VerifiedDeviceToken; cached: boolean } {
    if (token === undefined) throw trustError('DSR_PEP_TOKEN_MISSING', 'The request carries no device token.');
    const key = createHash('sha256').update(token).digest('base64url');
    const entry = this.tokens.get(key);
    if (entry && now >= entry.validFrom && now < entry.validUntil) {
      this.tokens.set(key, entry); // most recently used
      return { verified: entry.verified, cached: true };
    }
    const verified = this.verify(token, this.trust, now);
    const tolerance = (this.trust.clockToleranceSeconds ?? 30) * 1000;
    const { iat, exp } = verified.claims;
    const nbf = (verified.claims as unknown as { nbf?: unknown }).nbf;
    const notBefore = typeof nbf === 'number' ? Math.max(iat, nbf) : iat;
    this.tokens.set(key, { verified, validFrom: notBefore * 1000 - tolerance, validUntil: exp * 1000 + tolerance });
    return { verified, cached: false };
  }

  /** The strict profile: cnf x5t#S256 must name the forwarded certificate. */
  private checkBinding(claims: DeviceTokenClaims, escapedCertificate: string | undefined): void {
    if (escapedCertificate === undefined) throw unbound('no client certificate presented');
    // A device presents the same certificate on every request: its thumbprint is kept by the header's hash.
    const key = createHash('sha256').update(escapedCertificate).digest('base64url');
    let thumbprint = this.thumbprints.get(key);
    if (thumbprint === undefined) {
      thumbprint = certificateThumbprint(parseEscapedCertificate(escapedCertificate));
      this.thumbprints.set(key, thumbprint);
    }
    const expected = Buffer.from(thumbprint, 'ascii');
    const presented = Buffer.from(String(claims.cnf?.['x5t#S256']), 'ascii');
    if (!constantTimeEqual(presented, expected)) throw unbound('cnf x5t#S256 names another certificate');
  }
}
