import { decodeCompactJws, signCompactJws, verifyHs256 } from '../crypto/jose/compact-jws.js';
import type { Clock } from '../clock.js';
import { contentError, trustError } from '../errors.js';
import type { MacKeyRing } from '../keys/mac-keys.js';
import { challengeRejection, type ChallengeService } from './challenge-service.js';
import { decodeBase64Url, UUID, uuidBytes, uuidText } from './encoding.js';

export interface ChallengeTokenOptions {
  /** JWT header typ, e.g. "auth-challenge+jwt". */
  typ: string;
  issuer: string;
  ttlSeconds: number;
  /** How the nonce claim is written: base64url of random bytes (default) or a random UUID (MDVM). */
  nonceFormat?: 'base64url' | 'uuid';
}

/** Clock difference tolerated between the instances of a deployment. */
const CLOCK_TOLERANCE_SECONDS = 30;

export interface IssuedChallengeToken {
  token: string;
  nonce: Buffer;
  expiresAt: number;
}

/** A token whose MAC, claims and age verified and whose nonce was unused when checked. */
export interface CheckedChallengeToken {
  nonce: Buffer;
  /** Spends the nonce (the atomic single use); throws CHALLENGE_USED when another request spent it first. */
  consume(): Promise<void>;
}

/**
 * Challenges carried as HS256 JWTs {iss, iat, nonce} with the MAC key's kid in the header. The
 * MAC lets a client see what it was given; the nonce is an ordinary stored challenge, so each
 * token is accepted once even though the MAC alone would allow replays within its lifetime.
 * `check` and the consume it returns are apart so the nonce is spent only once the request
 * carrying it has verified: a bad request with a seen token does not burn it.
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
    const uuid = this.options.nonceFormat === 'uuid';
    const issued = await this.challenges.issue(this.purpose, {
      ttlSeconds: this.options.ttlSeconds,
      ...(uuid ? { uuid } : {}),
    });
    const key = this.keys.current;
    const token = signCompactJws(
      { alg: 'HS256', typ: this.options.typ, kid: key.kid },
      {
        iss: this.options.issuer,
        nonce: uuid ? uuidText(issued.value) : issued.value.toString('base64url'),
        iat: Math.floor(issued.issuedAt / 1000),
      },
      key.secret,
    );
    return { token, nonce: issued.value, expiresAt: issued.expiresAt };
  }

  /** Verifies the MAC, typ, issuer and age (synchronously) and that the nonce is unused; consumes nothing. */
  async check(token: string): Promise<CheckedChallengeToken> {
    const invalid = (detail: string) =>
      trustError('CHALLENGE_TOKEN_INVALID', 'The challenge token was not issued by this server.', { detail });
    const malformed = (detail: string) =>
      contentError('CHALLENGE_TOKEN_MALFORMED', 'The challenge token is malformed.', { detail });
    const jws = decodeCompactJws(token, malformed);
    const { header, payload: claims } = jws;
    if (header.alg !== 'HS256' || header.typ !== this.options.typ || header.crit !== undefined)
      throw invalid(`alg ${String(header.alg)}, typ ${String(header.typ)}`);
    const key = typeof header.kid === 'string' ? this.keys.get(header.kid) : undefined;
    if (!key) throw invalid(`unknown kid ${String(header.kid)}`);
    if (!verifyHs256(jws, key.secret)) throw invalid('MAC mismatch');
    if (claims.iss !== this.options.issuer) throw invalid(`iss ${JSON.stringify(claims.iss)}`);
    if (typeof claims.iat !== 'number' || typeof claims.nonce !== 'string')
      throw malformed('iat and nonce are required');
    const age = this.clock.now() / 1000 - claims.iat;
    if (age > this.options.ttlSeconds) throw challengeRejection('expired');
    if (age < -CLOCK_TOLERANCE_SECONDS) throw invalid('iat lies in the future');
    let nonce: Buffer;
    if (this.options.nonceFormat === 'uuid') {
      if (!UUID.test(claims.nonce)) throw malformed('nonce is not a UUID');
      nonce = uuidBytes(claims.nonce);
    } else nonce = decodeBase64Url(claims.nonce, 'challenge nonce', 'CHALLENGE_TOKEN_MALFORMED');
    await this.challenges.check(this.purpose, nonce);
    return {
      nonce,
      consume: async () => {
        await this.challenges.consume(this.purpose, nonce);
      },
    };
  }
}
