import type { Redis } from 'ioredis';
import {
  rejectionOf,
  type ChallengeRecord,
  type ChallengeStore,
  type ConsumeRejection,
  type ConsumeResult,
} from '../challenge-store.js';
import { LoopBatcher } from '../loop-batcher.js';

/**
 * A challenge is one Redis string "purpose␟subject␟issuedAt␟expiresAt␟consumedAt" (␟ = 0x1F,
 * which purposes and subjects never contain), written by a plain SET with PX — atomic and the
 * cheapest command Redis has. Consumption is a Lua script, atomic across every Keyward instance
 * sharing the Redis. "Now" comes from the Clock; Redis's own key expiry only does the purging.
 */
const SEPARATOR = '\x1f';

const CONSUME = `
local value = redis.call('GET', KEYS[1])
if not value then return {'unknown'} end
local f = {}
for field in string.gmatch(value, '([^\\31]*)\\31?') do f[#f + 1] = field end
if f[1] ~= ARGV[1] then return {'unknown'} end
if f[5] ~= '' then return {'used'} end
if tonumber(f[4]) <= tonumber(ARGV[3]) then return {'expired'} end
if f[2] ~= ARGV[2] then return {'subject'} end
redis.call('SET', KEYS[1], f[1] .. '\\31' .. f[2] .. '\\31' .. f[3] .. '\\31' .. f[4] .. '\\31' .. ARGV[3], 'KEEPTTL')
return {'ok', f[2], f[3], f[4]}
`;

type Command = { command: 'get' | 'set' | 'keywardConsumeChallenge'; args: string[] };

/** What CONSUME would answer for a stored value, without changing it: the shared rules the script repeats. */
function classify(value: string | null, purpose: string, subject: string | null, now: number): ConsumeResult {
  const [storedPurpose = '', storedSubject = '', issuedAt, expiresAt, consumedAt] = value?.split(SEPARATOR) ?? [];
  const state =
    value === null
      ? undefined
      : {
          purpose: storedPurpose,
          subject: storedSubject || null,
          expiresAt: Number(expiresAt),
          consumed: consumedAt !== '',
        };
  const reason = rejectionOf(state, purpose, subject, now);
  if (reason) return { ok: false, reason };
  return {
    ok: true,
    record: { purpose, subject: storedSubject || null, issuedAt: Number(issuedAt), expiresAt: Number(expiresAt) },
  };
}

export class RedisChallengeStore implements ChallengeStore {
  /** Commands of one event-loop turn go out as one pipeline: one socket write for many requests. */
  private readonly batcher: LoopBatcher<Command, unknown>;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    if (!('keywardConsumeChallenge' in redis))
      redis.defineCommand('keywardConsumeChallenge', { numberOfKeys: 1, lua: CONSUME });
    this.batcher = new LoopBatcher(async (commands) => {
      const pipeline = this.redis.pipeline() as unknown as Record<Command['command'], (...args: string[]) => void> & {
        exec(): Promise<[Error | null, unknown][] | null>;
      };
      for (const { command, args } of commands) pipeline[command](...args);
      const replies = await pipeline.exec();
      if (!replies) throw new Error('Redis pipeline was discarded');
      return replies.map(([error, reply]) => error ?? reply);
    });
  }

  private key(id: string): string {
    return `${this.keyPrefix}challenge:${id}`;
  }

  async insert(id: string, record: ChallengeRecord, retainMs: number): Promise<void> {
    const lifetimeMs = Math.max(1, record.expiresAt - record.issuedAt + retainMs);
    const value = [record.purpose, record.subject ?? '', record.issuedAt, record.expiresAt, ''].join(SEPARATOR);
    await this.batcher.submit({ command: 'set', args: [this.key(id), value, 'PX', String(lifetimeMs)] });
  }

  async consume(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult> {
    const [status, storedSubject, issuedAt, expiresAt] = (await this.batcher.submit({
      command: 'keywardConsumeChallenge',
      args: [this.key(id), purpose, subject ?? '', String(now)],
    })) as [string, string?, string?, string?];
    if (status !== 'ok') return { ok: false, reason: status as ConsumeRejection };
    return {
      ok: true,
      record: { purpose, subject: storedSubject || null, issuedAt: Number(issuedAt), expiresAt: Number(expiresAt) },
    };
  }

  async check(id: string, purpose: string, subject: string | null, now: number): Promise<ConsumeResult> {
    const value = (await this.batcher.submit({ command: 'get', args: [this.key(id)] })) as string | null;
    return classify(value, purpose, subject, now);
  }
}
