import type { KeyObject } from 'node:crypto';
import { verifyContentDigest } from '../../crypto/http-message/content-digest.js';
import {
  verifyHttpSignature,
  type HttpMessageParts,
  type VerifiedHttpSignature,
} from '../../crypto/http-message/http-signatures.js';
import { checkStrictJson } from '../../crypto/strict-json.js';
import { contentError, trustError } from '../../errors.js';
import { verifyMdvmToken, type MdvmTrust, type VerifiedMdvmToken } from './mdvm-token.js';
import { verifyRevocationList } from './revocation-list.js';

/**
 * What a relying backend knows of revoked wallet instances: the MDVM's signed revocation lists
 * (GET /v1/mdvm/revocations?since=…), verified and merged. Poll with `since` and refuse listed
 * instances even while their mdvm_token is still valid.
 */
export class MdvmRevocations {
  private readonly revoked = new Map<string, number>();
  private latest: number | undefined;

  constructor(private readonly trust: Pick<MdvmTrust, 'issuer' | 'keys'>) {}

  /** Verifies a list and merges it; returns how many instances it named. */
  async apply(jwt: string, now: number): Promise<number> {
    refuseDuplicateMembers(jwt);
    const claims = await verifyRevocationList(jwt, {
      issuer: this.trust.issuer,
      key: (kid) => (kid ? this.trust.keys?.get(kid) : undefined),
      now,
    });
    for (const entry of claims.revoked) this.revoked.set(entry.mdvm_wi_id, entry.revoked_at);
    // A cut list continues at `next`; a complete one covers everything up to its issue time, less a
    // minute for revocations another instance committed while this list was being read.
    this.latest = Math.max(this.latest ?? 0, claims.next ?? claims.iat - 60);
    return claims.revoked.length;
  }

  /** The `since` to ask for next (epoch seconds), or undefined before the first list. */
  get since(): number | undefined {
    return this.latest;
  }

  isRevoked(mdvmWiId: string): boolean {
    return this.revoked.has(mdvmWiId);
  }

  /** Forgets instances revoked before `epochSeconds`: no token of theirs can still be live after tokenLifetime. */
  forgetBefore(epochSeconds: number): void {
    for (const [id, revokedAt] of this.revoked) if (revokedAt < epochSeconds) this.revoked.delete(id);
  }
}

/**
 * jose reads a JWT's header and claims with JSON.parse, where the last duplicate member wins:
 * a list whose segments repeat a member is refused before it is verified. Segments that do not
 * decode are left for jose to report.
 */
function refuseDuplicateMembers(jwt: string): void {
  const segments = jwt.split('.');
  if (segments.length !== 3) return;
  for (const [index, what] of [
    [0, 'header'],
    [1, 'claims'],
  ] as const) {
    checkStrictJson(Buffer.from(segments[index]!, 'base64url').toString('utf8'), (detail) =>
      contentError('REVOCATION_LIST_MALFORMED', 'The revocation list is malformed.', { detail: `${what}: ${detail}` }),
    );
  }
}

export interface RelyingRequest {
  /** Method, raw request-target and headers (lowercase names) as received. */
  message: HttpMessageParts;
  /** The raw body (Content-Digest is over these bytes). */
  body: Uint8Array;
}

export interface RelyingRequestPolicy {
  trust: MdvmTrust;
  /** The signature label of this backend, e.g. "wpb-auth-sig". */
  label: string;
  /** Covered components required; default @method, @path, auth-challenge, mdvm-token, plus content-digest when there is a body. */
  requiredComponents?: string[];
  /** The backend's own challenge check: throw (a KeywardError) unless `challenge` is one it issued and has not seen used. */
  consumeChallenge(challenge: string): Promise<void> | void;
  revocations?: MdvmRevocations;
  now: number;
  maxAgeSeconds?: number;
  maxSkewSeconds?: number;
}

export interface VerifiedRelyingRequest {
  mdvmWiId: string;
  token: VerifiedMdvmToken;
  signature: VerifiedHttpSignature;
}

const single = (message: HttpMessageParts, name: string) => {
  const value = message.headers[name];
  if (Array.isArray(value) ? value.length !== 1 : typeof value !== 'string' || value.length === 0) {
    throw contentError('HEADER_MISSING', `The request needs exactly one ${name} header.`);
  }
  return (Array.isArray(value) ? value[0] : value) as string;
};

/**
 * A wallet-backend or remote-signing request as docs/protocols/mdvm.md prescribes its checks: the mdvm_token
 * (Mdvm-Token header) verified against the MDVM's keys, the instance not revoked, the request's
 * HTTP message signature verified with the token's cnf key and covering the token and the
 * backend's challenge, the Content-Digest against the body, and finally the challenge consumed.
 */
export async function verifyMdvmRequest(
  request: RelyingRequest,
  policy: RelyingRequestPolicy,
): Promise<VerifiedRelyingRequest> {
  const token = await verifyMdvmToken(single(request.message, 'mdvm-token'), policy.trust, policy.now);
  if (policy.revocations?.isRevoked(token.accountId)) {
    throw trustError('MDVM_INSTANCE_REVOKED', 'The wallet instance is revoked.', {
      detail: `mdvm_wi_id ${token.accountId}`,
    });
  }
  const challenge = single(request.message, 'auth-challenge');
  const withBody = request.body.length > 0;
  const required = policy.requiredComponents ?? [
    '@method',
    '@path',
    'auth-challenge',
    'mdvm-token',
    ...(withBody ? ['content-digest'] : []),
  ];
  const signature = verifyHttpSignature(
    request.message,
    {
      label: policy.label,
      requiredComponents: required,
      algorithms: ['ecdsa-p256-sha256'],
      now: policy.now,
      maxAgeSeconds: policy.maxAgeSeconds ?? 300,
      maxSkewSeconds: policy.maxSkewSeconds ?? 30,
    },
    token.authKey as KeyObject,
  );
  if (withBody || request.message.headers['content-digest'] !== undefined) {
    verifyContentDigest(request.message.headers['content-digest'], request.body);
  }
  await policy.consumeChallenge(challenge);
  return { mdvmWiId: token.accountId, token, signature };
}
