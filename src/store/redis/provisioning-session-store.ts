import type { Redis } from 'ioredis';
import { type Clock, systemClock } from '../../clock.js';
import type { ProvisioningSession, ProvisioningSessionStore } from '../provisioning-store.js';

/**
 * A session is one Redis string, the JSON {"version", "step", "state", "expiresAt"} in that key
 * order (Keyward writes it, so the scripts can read the version at its start and expiresAt at its
 * end without decoding the flow's state), set with PX so that Redis forgets it once expired. "Now"
 * for get and purgeExpired is the caller's; the PX lifetime is expiresAt minus the Clock's now
 * (the one the caller's times come from).
 */
const UPDATE = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
if string.match(value, '^{"version":(%d+),') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

const PURGE_IF_EXPIRED = `
local value = redis.call('GET', KEYS[1])
if not value then return 0 end
local expiresAt = string.match(value, ',"expiresAt":(%-?%d+)}$')
if expiresAt and tonumber(expiresAt) <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

type SessionCommands = {
  keywardUpdateProvisioningSession(key: string, expectedVersion: string, value: string, px: string): Promise<number>;
  keywardPurgeProvisioningSession(key: string, now: string): Promise<number>;
};

const serialize = (version: number, next: Pick<ProvisioningSession, 'step' | 'state' | 'expiresAt'>) =>
  JSON.stringify({ version, step: next.step, state: next.state, expiresAt: next.expiresAt });

/** A glob pattern matching `text` literally. */
const globEscape = (text: string) => text.replace(/[\\*?[\]]/g, (special) => `\\${special}`);

export class RedisProvisioningSessionStore implements ProvisioningSessionStore {
  private readonly commands: SessionCommands;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly clock: Clock = systemClock,
  ) {
    if (!('keywardUpdateProvisioningSession' in redis))
      redis.defineCommand('keywardUpdateProvisioningSession', { numberOfKeys: 1, lua: UPDATE });
    if (!('keywardPurgeProvisioningSession' in redis))
      redis.defineCommand('keywardPurgeProvisioningSession', { numberOfKeys: 1, lua: PURGE_IF_EXPIRED });
    this.commands = redis as unknown as SessionCommands;
  }

  private key(id: string): string {
    return `${this.keyPrefix}provisioning-session:${id}`;
  }

  /** Redis's lifetime for a session expiring at `expiresAt` (at least 1 ms: PX must be positive). */
  private lifetime(expiresAt: number): string {
    return String(Math.max(1, Math.ceil(expiresAt - this.clock.now())));
  }

  /** Throws when a live session with this id exists (SET NX). */
  async create(session: ProvisioningSession): Promise<void> {
    const reply = await this.redis.set(
      this.key(session.id),
      serialize(session.version, session),
      'PX',
      this.lifetime(session.expiresAt),
      'NX',
    );
    if (reply !== 'OK') throw new Error(`provisioning session ${session.id} exists already`);
  }

  async get(id: string, now: number): Promise<ProvisioningSession | undefined> {
    const value = await this.redis.get(this.key(id));
    if (value === null) return undefined;
    const stored = JSON.parse(value) as Omit<ProvisioningSession, 'id'>;
    if (stored.expiresAt <= now) return undefined;
    return { id, step: stored.step, state: stored.state, expiresAt: stored.expiresAt, version: stored.version };
  }

  async update(
    id: string,
    expectedVersion: number,
    next: Pick<ProvisioningSession, 'step' | 'state' | 'expiresAt'>,
  ): Promise<boolean> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) return false;
    const updated = await this.commands.keywardUpdateProvisioningSession(
      this.key(id),
      String(expectedVersion),
      serialize(expectedVersion + 1, next),
      this.lifetime(next.expiresAt),
    );
    return updated === 1;
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  /**
   * Redis forgets sessions by itself (PX); this deletes, key by key and atomically, those stored
   * sessions whose expiresAt is at or before `now` by the caller's clock, and counts them.
   */
  async purgeExpired(now: number): Promise<number> {
    let purged = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        'MATCH',
        `${globEscape(this.keyPrefix)}provisioning-session:*`,
        'COUNT',
        500,
      );
      cursor = next;
      const results = await Promise.all(
        keys.map((key) => this.commands.keywardPurgeProvisioningSession(key, String(now))),
      );
      purged += results.reduce((sum, deleted) => sum + deleted, 0);
    } while (cursor !== '0');
    return purged;
  }
}
