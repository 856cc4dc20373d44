import { afterAll, describe, expect, it } from 'vitest';
import {
  postgresBackend,
  redisBackend,
  skipWithoutPostgres,
  skipWithoutRedis,
  sqliteBackend,
  storeHarness,
} from '../../test/helpers/backends.js';
import { describeChallengeStoreContract } from './contract/challenge-store.contract.js';
import { RedisChallengeStore } from './redis/challenge-store.js';

describeChallengeStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.challenges),
);

describeChallengeStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.challenges,
  ),
  { skip: skipWithoutPostgres },
);

describeChallengeStoreContract(
  'Redis',
  async () => {
    const backend = await redisBackend();
    return { store: new RedisChallengeStore(backend.redis, backend.prefix), cleanup: backend.cleanup };
  },
  { skip: skipWithoutRedis },
);

describe('SQL challenge purge', () => {
  const backends: { cleanup(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(backends.map((backend) => backend.cleanup()));
  });

  it('deletes only challenges that expired before the cut-off', async () => {
    const backend = await sqliteBackend();
    backends.push(backend);
    const store = backend.store.challenges;
    await store.insert('old', { purpose: 'p', subject: null, issuedAt: 0, expiresAt: 1000 }, 0);
    await store.insert('new', { purpose: 'p', subject: null, issuedAt: 0, expiresAt: 5000 }, 0);
    expect(await store.purge(2000)).toBe(1);
    expect(await store.consume('old', 'p', null, 0)).toEqual({ ok: false, reason: 'unknown' });
    expect((await store.consume('new', 'p', null, 0)).ok).toBe(true);
  });
});

describe.skipIf(skipWithoutRedis)('Redis challenge expiry', () => {
  it('lets Redis forget a challenge once its expiry plus retention has passed', async () => {
    const backend = await redisBackend();
    try {
      const store = new RedisChallengeStore(backend.redis, backend.prefix);
      await store.insert('short', { purpose: 'p', subject: null, issuedAt: 0, expiresAt: 50 }, 50);
      const ttl = await backend.redis.pttl(`${backend.prefix}challenge:short`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(100);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await store.consume('short', 'p', null, 10)).toEqual({ ok: false, reason: 'unknown' });
    } finally {
      await backend.cleanup();
    }
  });
});
