import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvisioningSession, ProvisioningSessionStore } from '../provisioning-store.js';

export interface ProvisioningSessionStoreHarness {
  store: ProvisioningSessionStore;
  cleanup(): Promise<void>;
}

const MINUTE = 60_000;

/**
 * The behaviour every ProvisioningSessionStore must have; run once per backend (the tests share one
 * store). Times are near the real clock: the Redis store derives its key lifetime from the system clock.
 */
export function describeProvisioningSessionStoreContract(
  name: string,
  open: () => Promise<ProvisioningSessionStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`ProvisioningSessionStore contract: ${name}`, () => {
    let harness: ProvisioningSessionStoreHarness;
    let store: ProvisioningSessionStore;
    const now = Date.now();
    const session = (overrides: Partial<ProvisioningSession> = {}): ProvisioningSession => ({
      id: randomBytes(16).toString('base64url'),
      step: 'awaitingProvisioningResponse',
      state: {
        challenge: randomBytes(32).toString('base64'),
        docType: 'org.iso.18013.5.1.mDL',
        code: '1001',
        nested: { list: [1, 'two', null, { three: true }], empty: [], emptyObject: {} },
        big: 2 ** 53 - 1,
        fraction: 0.1,
        text: 'Jörg "quoted" \\ \u0000 ☃',
      },
      expiresAt: now + 10 * MINUTE,
      version: 0,
      ...overrides,
    });

    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('creates a session and returns it as stored until it expires', async () => {
      const created = session();
      await store.create(created);
      expect(await store.get(created.id, now)).toEqual(created);
      expect(await store.get(created.id, created.expiresAt - 1)).toEqual(created);
      expect(await store.get(created.id, created.expiresAt)).toBeUndefined();
      expect(await store.get(randomBytes(16).toString('base64url'), now)).toBeUndefined();
    });

    it('refuses to create a session whose id is taken', async () => {
      const created = session();
      await store.create(created);
      await expect(store.create({ ...created, step: 'other' })).rejects.toThrow();
      expect(await store.get(created.id, now)).toEqual(created);
    });

    it('updates by compare-and-set on the version', async () => {
      const created = session({ version: 3 });
      await store.create(created);
      const next = {
        step: 'awaitingSetProofOfProvisioning',
        state: { challenge: 'new', n: 1 },
        expiresAt: now + 20 * MINUTE,
      };
      expect(await store.update(created.id, 2, next)).toBe(false);
      expect(await store.update(created.id, 4, next)).toBe(false);
      expect(await store.get(created.id, now)).toEqual(created);

      expect(await store.update(created.id, 3, next)).toBe(true);
      expect(await store.get(created.id, now)).toEqual({ id: created.id, ...next, version: 4 });
      expect(await store.update(created.id, 3, { ...next, step: 'again' })).toBe(false);
      // The new expiry counts.
      expect(await store.get(created.id, now + 15 * MINUTE)).toEqual({ id: created.id, ...next, version: 4 });

      expect(await store.update(randomBytes(16).toString('base64url'), 0, next)).toBe(false);
    });

    it('lets exactly one of concurrent updates with the same expected version win', async () => {
      const created = session();
      await store.create(created);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          store.update(created.id, 0, { step: `step-${index}`, state: { index }, expiresAt: created.expiresAt }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.get(created.id, now)).toEqual({
        id: created.id,
        step: `step-${winner}`,
        state: { index: winner },
        expiresAt: created.expiresAt,
        version: 1,
      });
    });

    it('deletes a session', async () => {
      const created = session();
      await store.create(created);
      await store.delete(created.id);
      expect(await store.get(created.id, now)).toBeUndefined();
      expect(await store.update(created.id, 0, { step: 's', state: {}, expiresAt: created.expiresAt })).toBe(false);
      await store.delete(created.id);
    });

    it('purges the sessions expired at the given time', async () => {
      // Cut-offs far beyond the sessions of the other tests (which expire within 20 minutes).
      const base = now + 60 * MINUTE;
      const early = session({ expiresAt: base + MINUTE });
      const edge = session({ expiresAt: base + 2 * MINUTE });
      const late = session({ expiresAt: base + 3 * MINUTE });
      for (const each of [early, edge, late]) await store.create(each);
      const purged = await store.purgeExpired(base + 2 * MINUTE);
      // The other tests' sessions (expired by then too) count as well.
      expect(purged).toBeGreaterThanOrEqual(2);
      expect(await store.purgeExpired(base + 2 * MINUTE)).toBe(0);
      expect(await store.get(late.id, now)).toEqual(late);
      expect(await store.get(early.id, now)).toBeUndefined();
      expect(await store.get(edge.id, now)).toBeUndefined();
      expect(await store.purgeExpired(now)).toBe(0);
    });
  });
}
