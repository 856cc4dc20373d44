/** What is remembered of an issued challenge. The challenge bytes themselves are not: rows are keyed by their hash. */
export interface ChallengeRecord {
  purpose: string;
  /** What the challenge is bound to (an account, a device), or null when unbound. */
  subject: string | null;
  issuedAt: number;
  expiresAt: number;
}

export type ConsumeRejection = 'unknown' | 'expired' | 'used' | 'subject';

/** A stored challenge as the rejection rules read it. */
export interface StoredChallengeState {
  purpose: string;
  subject: string | null;
  expiresAt: number;
  consumed: boolean;
}

/**
 * Why a stored challenge cannot be consumed now, or null when it can: the rules every store's
 * compare-and-set applies, in this order (the Redis script repeats them atomically in Lua).
 */
export function rejectionOf(
  stored: StoredChallengeState | undefined,
  purpose: string,
  subject: string | null,
  now: number,
): ConsumeRejection | null {
  if (!stored || stored.purpose !== purpose) return 'unknown';
  if (stored.consumed) return 'used';
  if (stored.expiresAt <= now) return 'expired';
  if (stored.subject !== subject) return 'subject';
  return null;
}

export type ConsumeResult = { ok: true; record: ChallengeRecord } | { ok: false; reason: ConsumeRejection };

/**
 * Single-use challenge storage. `consume` is one atomic compare-and-set: of any number of
 * concurrent consumes of one challenge exactly one succeeds. A rejected consume changes nothing.
 * `check` answers what `consume` would without consuming, so a protocol can refuse a stale
 * nonce early yet spend it only once the proof carrying it has verified.
 */
export interface ChallengeStore {
  /** @param retainMs how long past expiry the record is kept to tell replays from unknown challenges */
  insert(id: string, record: ChallengeRecord, retainMs: number): Promise<void>;
  /** Purpose must match (otherwise 'unknown'), and the subject exactly: a bound challenge only its subject, an unbound one only null. */
  consume(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult>;
  /** Read-only: the result `consume` would give now, with the same rejections; changes nothing. */
  check(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult>;
  /**
   * Deletes challenges that expired before `before`; returns how many. Absent where records
   * expire by themselves (Redis key TTLs), so nothing needs to run it.
   */
  purge?(before: number): Promise<number>;
}

/** A store that keeps expired records until purged (the SQL one), so something must call `purge`. */
export type PurgeableChallengeStore = ChallengeStore & Required<Pick<ChallengeStore, 'purge'>>;
