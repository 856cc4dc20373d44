import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DsrBundleStore, StoredBundle } from '../dsr-store.js';

export interface DsrBundleStoreHarness {
  store: DsrBundleStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 1);

const bundle = (version: number, overrides: Partial<StoredBundle> = {}): StoredBundle => ({
  slot: 'active',
  version,
  kid: `kid-${version}`,
  jws: `header.payload-${version}.signature`,
  storedAt: T0 + version,
  ...overrides,
});

/** The behaviour every DsrBundleStore must have; run once per backend (the tests share one store, in order). */
export function describeDsrBundleStoreContract(
  name: string,
  open: () => Promise<DsrBundleStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`DsrBundleStore contract: ${name}`, () => {
    let harness: DsrBundleStoreHarness;
    let store: DsrBundleStore;
    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('stores only strictly increasing versions, per slot', async () => {
      expect(await store.get('active')).toBeUndefined();
      expect(await store.put(bundle(5))).toBe(true);
      expect(await store.get('active')).toEqual(bundle(5));
      expect(await store.put(bundle(5, { kid: 'other', jws: 'a.b.c' }))).toBe(false);
      expect(await store.put(bundle(4))).toBe(false);
      expect(await store.get('active')).toEqual(bundle(5));
      expect(await store.put(bundle(6))).toBe(true);
      expect(await store.get('active')).toEqual(bundle(6));

      // The simulation slot has its own version.
      expect(await store.get('simulation')).toBeUndefined();
      expect(await store.put(bundle(1, { slot: 'simulation' }))).toBe(true);
      expect(await store.get('simulation')).toEqual(bundle(1, { slot: 'simulation' }));
      expect(await store.get('active')).toEqual(bundle(6));
    });

    it('clears a slot keeping its version', async () => {
      const slot = 'simulation';
      expect(await store.put(bundle(10, { slot }))).toBe(true);
      expect(await store.clear(slot)).toBe(true);
      expect(await store.get(slot)).toBeUndefined();
      expect(await store.clear(slot)).toBe(false);
      expect(await store.put(bundle(10, { slot }))).toBe(false);
      expect(await store.put(bundle(9, { slot }))).toBe(false);
      expect(await store.get(slot)).toBeUndefined();
      expect(await store.put(bundle(11, { slot }))).toBe(true);
      expect(await store.get(slot)).toEqual(bundle(11, { slot }));
    });

    it('ends at the highest of concurrent puts', async () => {
      const base = 1_000;
      const versions = Array.from({ length: 40 }, (_, index) => base + index + 1).sort(() => Math.random() - 0.5);
      const results = await Promise.all(versions.map((version) => store.put(bundle(version))));
      expect(results.some(Boolean)).toBe(true);
      expect(results[versions.indexOf(base + 40)]).toBe(true);
      expect(await store.get('active')).toEqual(bundle(base + 40));
    });

    it('stores one of concurrent puts of one version', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => store.put(bundle(5_000, { kid: `kid-${index}` }))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get('active'))?.kid).toBe(`kid-${results.indexOf(true)}`);
    });

    it('handles versions beyond 32 bits', async () => {
      const big = 2 ** 40 + 1;
      expect(await store.put(bundle(big))).toBe(true);
      expect((await store.get('active'))?.version).toBe(big);
      expect(await store.put(bundle(2 ** 40))).toBe(false);
    });
  });
}
