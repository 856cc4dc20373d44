import { secureRandomBytes } from './random-pool.js';
import type { Clock } from '../clock.js';
import type { ChallengesConfig } from '../config/schema.js';
import { type KeywardError, contentError, timeError, trustError, type ErrorCode } from '../errors.js';
import type { ChallengeRecord, ChallengeStore, ConsumeRejection, ConsumeResult } from '../store/challenge-store.js';
import { MAX_CHALLENGE_BYTES, MIN_CHALLENGE_BYTES, challengeId, uuidV4Bytes } from './encoding.js';
import { isProtocolPurpose } from './purposes.js';

export interface ChallengeMetrics {
  issued(purpose: string): void;
  consumed(purpose: string): void;
  rejected(purpose: string, code: ErrorCode): void;
}

export interface IssueOptions {
  /** Binds the challenge: consume must present the same subject. */
  subject?: string;
  /** Defaults to the purpose's configured size, then challenges.bytes. */
  bytes?: number;
  /** Defaults to the purpose's configured TTL, then challenges.ttlSeconds. */
  ttlSeconds?: number;
  /** A random (version 4) UUID's 16 bytes instead of `bytes` random bytes, for protocols whose nonce is a UUID. */
  uuid?: boolean;
}

export interface IssuedChallenge {
  value: Buffer;
  purpose: string;
  issuedAt: number;
  expiresAt: number;
}

const VALID_SUBJECT = /^[^\u0000-\u001f\u007f]{1,512}$/;

const REJECTIONS: Record<ConsumeRejection, () => KeywardError> = {
  unknown: () => contentError('CHALLENGE_UNKNOWN', 'The challenge is not one this server issued for this purpose.'),
  expired: () => timeError('CHALLENGE_EXPIRED', 'The challenge has expired; request a new one.'),
  used: () => trustError('CHALLENGE_USED', 'The challenge has already been used.'),
  subject: () => trustError('CHALLENGE_SUBJECT_MISMATCH', 'The challenge was issued for a different subject.'),
};

/** The error a rejected consume raises; ChallengeTokens raises the 'expired' one for tokens past their lifetime too. */
export const challengeRejection = (reason: ConsumeRejection): KeywardError => REJECTIONS[reason]();

const noMetrics: ChallengeMetrics = { issued() {}, consumed() {}, rejected() {} };

/**
 * Issues random single-use challenges and consumes them. Every protocol's nonce goes through
 * here; the store makes consumption atomic, this class decides sizes, lifetimes and errors.
 */
export class ChallengeService {
  private readonly metrics: ChallengeMetrics;

  constructor(
    private readonly store: ChallengeStore,
    private readonly clock: Clock,
    private readonly config: ChallengesConfig,
    metrics?: ChallengeMetrics,
  ) {
    this.metrics = metrics ?? noMetrics;
  }

  /** Purposes the generic API serves are the configured ones; protocol endpoints use their own names, never served here. */
  assertPublicPurpose(purpose: string): void {
    if (!Object.hasOwn(this.config.purposes, purpose) || isProtocolPurpose(purpose)) {
      throw contentError('CHALLENGE_PURPOSE_UNKNOWN', `Unknown challenge purpose "${purpose.slice(0, 64)}".`);
    }
  }

  async issue(purpose: string, options: IssueOptions = {}): Promise<IssuedChallenge> {
    const configured = Object.hasOwn(this.config.purposes, purpose) ? this.config.purposes[purpose] : undefined;
    const bytes = options.uuid ? 16 : (options.bytes ?? configured?.bytes ?? this.config.bytes);
    const ttlSeconds = options.ttlSeconds ?? configured?.ttlSeconds ?? this.config.ttlSeconds;
    if (!Number.isInteger(bytes) || bytes < MIN_CHALLENGE_BYTES || bytes > MAX_CHALLENGE_BYTES) {
      throw new TypeError(`challenge size must be ${MIN_CHALLENGE_BYTES}..${MAX_CHALLENGE_BYTES} bytes, got ${bytes}`);
    }
    if (options.subject !== undefined && !VALID_SUBJECT.test(options.subject)) {
      throw new TypeError('challenge subject must be 1..512 characters without control characters');
    }
    const random = secureRandomBytes(bytes);
    const value = options.uuid ? uuidV4Bytes(random) : random;
    const issuedAt = this.clock.now();
    const expiresAt = issuedAt + ttlSeconds * 1000;
    await this.store.insert(
      challengeId(value),
      { purpose, subject: options.subject ?? null, issuedAt, expiresAt },
      this.config.retentionSeconds * 1000,
    );
    this.metrics.issued(purpose);
    return { value, purpose, issuedAt, expiresAt };
  }

  /** Consumes once or throws: CHALLENGE_UNKNOWN, CHALLENGE_EXPIRED, CHALLENGE_USED or CHALLENGE_SUBJECT_MISMATCH. */
  async consume(purpose: string, value: Uint8Array, subject?: string): Promise<ChallengeRecord> {
    const record = await this.resolve(purpose, value, (id, now) =>
      this.store.consume(id, purpose, subject ?? null, now),
    );
    this.metrics.consumed(purpose);
    return record;
  }

  /**
   * Throws what `consume` would throw now, without consuming: a protocol checks its nonce before
   * the costly verification and consumes it only once the proof verified, so a third party who
   * saw the nonce cannot burn it with a bad proof. Counts only rejections (a later consume counts the use).
   */
  async check(purpose: string, value: Uint8Array, subject?: string): Promise<ChallengeRecord> {
    return this.resolve(purpose, value, (id, now) => this.store.check(id, purpose, subject ?? null, now));
  }

  /** Runs a consume or check of `value` in the store; a rejection is counted and thrown. */
  private async resolve(
    purpose: string,
    value: Uint8Array,
    query: (id: string, now: number) => Promise<ConsumeResult>,
  ): Promise<ChallengeRecord> {
    if (value.length < MIN_CHALLENGE_BYTES || value.length > MAX_CHALLENGE_BYTES) {
      this.metrics.rejected(purpose, 'CHALLENGE_UNKNOWN');
      throw challengeRejection('unknown');
    }
    const result = await query(challengeId(value), this.clock.now());
    if (!result.ok) {
      const error = challengeRejection(result.reason);
      this.metrics.rejected(purpose, error.code);
      throw error;
    }
    return result.record;
  }

  /** Deletes challenges whose retention has passed; returns how many (none where the store expires them itself). */
  async purgeExpired(): Promise<number> {
    return (await this.store.purge?.(this.clock.now() - this.config.retentionSeconds * 1000)) ?? 0;
  }

  /**
   * Purges every challenges.purgeIntervalSeconds until the returned function is called. A store
   * without `purge` expires records itself, so no timer is started and the stopper does nothing.
   */
  startPurging(onError: (error: unknown) => void): () => void {
    if (!this.store.purge) return () => {};
    const timer = setInterval(() => {
      this.purgeExpired().catch(onError);
    }, this.config.purgeIntervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }
}
