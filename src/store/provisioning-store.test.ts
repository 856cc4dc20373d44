import { describe, expect, it } from 'vitest';
import {
  postgresBackend,
  redisBackend,
  skipWithoutPostgres,
  skipWithoutRedis,
  sqliteBackend,
  storeHarness,
} from '../../test/helpers/backends.js';
import { FixedClock } from '../clock.js';
import { describeMdocRecordStoreContract } from './contract/mdoc-record-store.contract.js';
import { describeProvisioningSessionStoreContract } from './contract/provisioning-session-store.contract.js';
import { RedisProvisioningSessionStore } from './redis/provisioning-session-store.js';

describeMdocRecordStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.mdocRecords),
);

describeMdocRecordStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.mdocRecords,
  ),
  { skip: skipWithoutPostgres },
);

describeProvisioningSessionStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.provisioningSessions),
);

describeProvisioningSessionStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.provisioningSessions,
  ),
  { skip: skipWithoutPostgres },
);

describeProvisioningSessionStoreContract(
  'Redis',
  async () => {
    const backend = await redisBackend();
    return { store: new RedisProvisioningSessionStore(backend.redis, backend.prefix), cleanup: backend.cleanup };
  },
  { skip: skipWithoutRedis },
);

describe.skipIf(skipWithoutRedis)('Redis provisioning session expiry', () => {
  it('lets Redis forget a session once it has expired by the clock', async () => {
    const backend = await redisBackend();
    try {
      const clock = new FixedClock(Date.now());
      const store = new RedisProvisioningSessionStore(backend.redis, backend.prefix, clock);
      const session = { id: 'short', step: 's', state: { a: 1 }, expiresAt: clock.now() + 50, version: 0 };
      await store.create(session);
      const key = `${backend.prefix}provisioning-session:short`;
      const ttl = await backend.redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(50);
      expect(await store.get('short', clock.now())).toEqual(session);
      // An update sets the lifetime anew from the clock.
      clock.advance(20);
      expect(await store.update('short', 0, { step: 't', state: {}, expiresAt: clock.now() + 5_000 })).toBe(true);
      expect(await backend.redis.pttl(key)).toBeGreaterThan(1_000);
      expect(await store.update('short', 1, { step: 'u', state: {}, expiresAt: clock.now() + 50 })).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await backend.redis.exists(key)).toBe(0);
      expect(await store.get('short', 0)).toBeUndefined();
      expect(await store.update('short', 2, { step: 'v', state: {}, expiresAt: clock.now() + 5_000 })).toBe(false);
    } finally {
      await backend.cleanup();
    }
  });
});
