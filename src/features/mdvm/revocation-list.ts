import type { KeyObject } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { contentError, trustError } from '../../errors.js';
import type { MdvmRevocation } from '../../store/mdvm-store.js';
import type { MdvmSigningKey } from './signing-keys.js';

export const REVOCATION_LIST_TYPE = 'mdvm-revocations+jwt';

/** One entry of a signed list. Times are epoch seconds, as in JWTs. */
export interface RevokedInstance {
  mdvm_wi_id: string;
  revoked_at: number;
  reason: string;
}

export interface RevocationListClaims {
  iss: string;
  iat: number;
  /** The list holds every revocation at or after `since` (epoch seconds), up to `iat` — or up to `next` when it was cut at the size limit. */
  since: number;
  revoked: RevokedInstance[];
  /** Present when more entries follow: ask again with since=next. */
  next?: number;
}

/**
 * The signed revocation list relying backends poll (GET /v1/mdvm/revocations?since=…): a JWT
 * signed like mdvm_tokens, so a backend that trusts the tokens trusts the list, and can refuse
 * a revoked wallet instance before its token expires.
 */
export async function signRevocationList(
  key: MdvmSigningKey,
  options: { issuer: string; now: number; since: number; revocations: MdvmRevocation[]; truncated: boolean },
): Promise<string> {
  const revoked = options.revocations.map((entry) => ({
    mdvm_wi_id: entry.id,
    revoked_at: Math.floor(entry.revokedAt / 1000),
    reason: entry.reason,
  }));
  const last = revoked.at(-1);
  return new SignJWT({ since: options.since, revoked, ...(options.truncated && last ? { next: last.revoked_at } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: REVOCATION_LIST_TYPE, kid: key.kid, x5c: key.x5c })
    .setIssuer(options.issuer)
    .setIssuedAt(Math.floor(options.now / 1000))
    .sign(key.privateKey);
}

/** Verifies a list with the MDVM's keys; throws REVOCATION_LIST_INVALID (TRUST) or REVOCATION_LIST_MALFORMED (CONTENT). */
export async function verifyRevocationList(
  jwt: string,
  options: { issuer: string; key: (kid: string | undefined) => KeyObject | undefined; now: number },
): Promise<RevocationListClaims> {
  try {
    const { payload } = await jwtVerify(
      jwt,
      (header) => {
        const key = options.key(header.kid);
        if (!key)
          throw trustError('REVOCATION_LIST_INVALID', 'The revocation list is not signed by a trusted MDVM key.', {
            detail: `kid ${String(header.kid)}`,
          });
        return key;
      },
      {
        algorithms: ['ES256'],
        typ: REVOCATION_LIST_TYPE,
        issuer: options.issuer,
        requiredClaims: ['iat', 'since', 'revoked'],
        currentDate: new Date(options.now),
        clockTolerance: 60,
      },
    );
    const claims = payload as unknown as RevocationListClaims;
    if (
      !Array.isArray(claims.revoked) ||
      claims.revoked.some((entry) => typeof entry?.mdvm_wi_id !== 'string' || typeof entry.revoked_at !== 'number')
    ) {
      throw contentError('REVOCATION_LIST_MALFORMED', 'The revocation list is malformed.');
    }
    return claims;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) {
      const signature =
        error instanceof joseErrors.JWSSignatureVerificationFailed ||
        error instanceof joseErrors.JWTClaimValidationFailed;
      throw signature
        ? trustError('REVOCATION_LIST_INVALID', 'The revocation list is not signed by a trusted MDVM key.', {
            detail: error.message,
          })
        : contentError('REVOCATION_LIST_MALFORMED', 'The revocation list is malformed.', { detail: error.message });
    }
    throw error;
  }
}
