import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppAttestKeyRecord, AppAttestKeyStore } from '../app-attest-key-store.js';

export interface AppAttestKeyStoreHarness {
  store: AppAttestKeyStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const record = (overrides: Partial<AppAttestKeyRecord> = {}): AppAttestKeyRecord => ({
  keyId: randomBytes(32).toString('base64'),
  appId: 'ABCDE12345.org.keyward.contract',
  publicKey: randomBytes(91).toString('base64'),
  environment: 'production',
  counter: 0,
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

/** The behaviour every AppAttestKeyStore must have; run once per backend. */
export function describeAppAttestKeyStoreContract(
  name: string,
  open: () => Promise<AppAttestKeyStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`AppAttestKeyStore contract: ${name}`, () => {
    let harness: AppAttestKeyStoreHarness;
    beforeAll(async () => {
      harness = await open();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('stores a key once and returns it as stored', async () => {
      const key = record();
      expect(await harness.store.insert(key)).toBe(true);
      expect(await harness.store.find(key.keyId)).toEqual(key);
      expect(await harness.store.insert({ ...key, appId: 'ABCDE12345.org.keyward.intruder', counter: 7 })).toBe(false);
      expect(await harness.store.find(key.keyId)).toEqual(key);
      expect(await harness.store.find(record().keyId)).toBeUndefined();
    });

    it('moves the counter only forwards, recording when', async () => {
      const key = record();
      await harness.store.insert(key);
      expect(await harness.store.advanceCounter(key.keyId, 3, T0 + 10)).toBe(true);
      expect(await harness.store.advanceCounter(key.keyId, 3, T0 + 20)).toBe(false);
      expect(await harness.store.advanceCounter(key.keyId, 2, T0 + 30)).toBe(false);
      expect(await harness.store.find(key.keyId)).toEqual({ ...key, counter: 3, updatedAt: T0 + 10 });
      expect(await harness.store.advanceCounter(key.keyId, 4_294_967_295, T0 + 40)).toBe(true);
      expect((await harness.store.find(key.keyId))?.counter).toBe(4_294_967_295);
      expect(await harness.store.advanceCounter(record().keyId, 1, T0)).toBe(false);
    });

    it('gives exactly one success to 50 concurrent advances to the same counter', async () => {
      const key = record();
      await harness.store.insert(key);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => harness.store.advanceCounter(key.keyId, 1, T0 + 1)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await harness.store.find(key.keyId))?.counter).toBe(1);
    });

    it('ends at the highest of concurrent increasing counters', async () => {
      const key = record();
      await harness.store.insert(key);
      const counters = Array.from({ length: 40 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
      const results = await Promise.all(
        counters.map((counter) => harness.store.advanceCounter(key.keyId, counter, T0 + counter)),
      );
      expect(results.some(Boolean)).toBe(true);
      expect((await harness.store.find(key.keyId))?.counter).toBe(40);
    });
  });
}
