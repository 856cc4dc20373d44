import type { Redis } from 'ioredis';
import type { ChallengeRecord, ChallengeStore, ConsumeRejection, ConsumeResult } from '../challenge-store.js';

/**
 * Challenges as Redis hashes {p: purpose, s: subject, i: issuedAt, e: expiresAt, c: consumedAt}.
 * Consumption is one Lua script, so it is atomic across every Keyward instance sharing the Redis.
 * "Now" is passed in from the Clock; Redis's own expiry only does the purging.
 */
const CONSUME = `
local h = redis.call('HMGET', KEYS[1], 'p', 's', 'i', 'e', 'c')
if not h[1] or h[1] ~= ARGV[1] then return {'unknown'} end
if h[5] then return {'used'} end
if tonumber(h[4]) <= tonumber(ARGV[3]) then return {'expired'} end
if h[2] ~= '' and h[2] ~= ARGV[2] then return {'subject'} end
redis.call('HSET', KEYS[1], 'c', ARGV[3])
return {'ok', h[2], h[3], h[4]}
`;

type ConsumeReply = [string, string?, string?, string?];

interface RedisWithConsume extends Redis {
  keywardConsumeChallenge(key: string, purpose: string, subject: string, now: string): Promise<ConsumeReply>;
}

export class RedisChallengeStore implements ChallengeStore {
  private readonly redis: RedisWithConsume;

  constructor(redis: Redis, private readonly keyPrefix: string) {
    if (!('keywardConsumeChallenge' in redis)) redis.defineCommand('keywardConsumeChallenge', { numberOfKeys: 1, lua: CONSUME });
    this.redis = redis as RedisWithConsume;
  }

  private key(id: string): string {
    return `${this.keyPrefix}challenge:${id}`;
  }

  async insert(id: string, record: ChallengeRecord, retainMs: number): Promise<void> {
    const key = this.key(id);
    const lifetimeMs = Math.max(1, record.expiresAt - record.issuedAt + retainMs);
    const [[hsetError], [expireError]] = (await this.redis
      .multi()
      .hset(key, { p: record.purpose, s: record.subject ?? '', i: record.issuedAt, e: record.expiresAt })
      .pexpire(key, lifetimeMs)
      .exec()) as [[Error | null, unknown], [Error | null, unknown]];
    if (hsetError || expireError) throw hsetError ?? expireError;
  }

  async consume(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult> {
    const [status, storedSubject, issuedAt, expiresAt] = await this.redis.keywardConsumeChallenge(
      this.key(id),
      purpose,
      subject ?? '',
      String(now),
    );
    if (status !== 'ok') return { ok: false, reason: status as ConsumeRejection };
    return {
      ok: true,
      record: { purpose, subject: storedSubject || null, issuedAt: Number(issuedAt), expiresAt: Number(expiresAt) },
    };
  }

  /** Redis expires keys itself. */
  async purge(): Promise<number> {
    return 0;
  }
}
