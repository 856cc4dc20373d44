import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../clock.js';
import { contentError, timeError, trustError } from '../errors.js';
import type { MacKeyRing } from '../keys/mac-keys.js';
import type { ChallengeService } from './challenge-service.js';
import { decodeBase64Url } from './encoding.js';

export interface ChallengeTokenOptions {
  /** JWT header typ, e.g. "auth-challenge+jwt". */
  typ: string;
  issuer: string;
  ttlSeconds: number;
  /** Nonce size in bytes. */
  bytes?: number;
}

export interface IssuedChallengeToken {
  token: string;
  nonce: Buffer;
  expiresAt: number;
}

export interface ConsumedChallengeToken {
  nonce: Buffer;
  claims: JWTPayload;
}

/**
 * Challenges carried as HS256 JWTs {iss, iat, nonce} with the MAC key's kid in the header. The
 * MAC lets a client see what it was given; the nonce is an ordinary stored challenge, so each
 * token is accepted once even though the MAC alone would allow replays within its lifetime.
 */
export class ChallengeTokens {
  constructor(
    private readonly challenges: ChallengeService,
    private readonly keys: MacKeyRing,
    private readonly clock: Clock,
    private readonly purpose: string,
    private readonly options: ChallengeTokenOptions,
  ) {}

  async issue(): Promise<IssuedChallengeToken> {
    const issued = await this.challenges.issue(this.purpose, {
      ttlSeconds: this.options.ttlSeconds,
      ...(this.options.bytes ? { bytes: this.options.bytes } : {}),
    });
    const key = this.keys.current;
    const token = await new SignJWT({ nonce: issued.value.toString('base64url') })
      .setProtectedHeader({ alg: 'HS256', typ: this.options.typ, kid: key.kid })
      .setIssuer(this.options.issuer)
      .setIssuedAt(Math.floor(issued.issuedAt / 1000))
      .sign(key.secret);
    return { token, nonce: issued.value, expiresAt: issued.expiresAt };
  }

  /** Verifies the MAC, typ, issuer and age, then consumes the nonce (single use). */
  async consume(token: string): Promise<ConsumedChallengeToken> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(
        token,
        (header) => {
          const key = typeof header.kid === 'string' ? this.keys.get(header.kid) : undefined;
          if (!key) throw trustError('CHALLENGE_TOKEN_INVALID', 'The challenge token was not issued by this server.', { detail: `unknown kid ${String(header.kid)}` });
          return key.secret;
        },
        {
          algorithms: ['HS256'],
          typ: this.options.typ,
          issuer: this.options.issuer,
          requiredClaims: ['iat', 'nonce'],
          maxTokenAge: this.options.ttlSeconds,
          currentDate: new Date(this.clock.now()),
        },
      ));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw timeError('CHALLENGE_EXPIRED', 'The challenge has expired; request a new one.');
      if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWTClaimValidationFailed) {
        throw trustError('CHALLENGE_TOKEN_INVALID', 'The challenge token was not issued by this server.', { detail: error.message });
      }
      if (error instanceof joseErrors.JOSEError) {
        throw contentError('CHALLENGE_TOKEN_MALFORMED', 'The challenge token is malformed.', { detail: error.message });
      }
      throw error;
    }
    if (typeof claims.nonce !== 'string') throw contentError('CHALLENGE_TOKEN_MALFORMED', 'The challenge token is malformed.');
    const nonce = decodeBase64Url(claims.nonce, 'challenge nonce', 'CHALLENGE_TOKEN_MALFORMED');
    await this.challenges.consume(this.purpose, nonce);
    return { nonce, claims };
  }
}
