import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoginThrottleStore } from '../console-store.js';

export interface LoginThrottleStoreHarness {
  store: LoginThrottleStore;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
/** The purge test's counters live years earlier, so its purge leaves other tests' counters alone. */
const EARLY = Date.parse('2020-01-01T00:00:00Z');
const MINUTE = 60_000;
const SETTINGS = { maxFailures: 5, lockoutMs: 15 * MINUTE, windowMs: 10 * MINUTE };

const key = (kind = 'user') => `${kind}:${randomBytes(6).toString('hex')}`;

/** The behaviour every LoginThrottleStore must have; run once per backend (the tests share one store). */
export function describeLoginThrottleStoreContract(
  name: string,
  open: () => Promise<LoginThrottleStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`LoginThrottleStore contract: ${name}`, () => {
    let harness: LoginThrottleStoreHarness;
    let store: LoginThrottleStore;
    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('counts failures and locks out at the maximum; further failures extend the lockout', async () => {
      const user = key();
      for (let failure = 1; failure < 5; failure++)
        expect(await store.recordFailure(user, T0 + failure, SETTINGS)).toEqual({ failures: failure });
      expect(await store.lockedUntil([user], T0 + 4)).toBeUndefined();
      expect(await store.recordFailure(user, T0 + 5, SETTINGS)).toEqual({
        failures: 5,
        lockedUntil: T0 + 5 + SETTINGS.lockoutMs,
      });
      expect(await store.lockedUntil([user], T0 + 6)).toBe(T0 + 5 + SETTINGS.lockoutMs);
      expect(await store.recordFailure(user, T0 + MINUTE, SETTINGS)).toEqual({
        failures: 6,
        lockedUntil: T0 + MINUTE + SETTINGS.lockoutMs,
      });
    });

    it('starts again at 1 once the lockout has ended', async () => {
      const user = key();
      for (let failure = 1; failure <= 5; failure++) await store.recordFailure(user, T0, SETTINGS);
      const end = T0 + SETTINGS.lockoutMs;
      expect(await store.lockedUntil([user], end - 1)).toBe(end);
      expect(await store.lockedUntil([user], end)).toBeUndefined();
      expect(await store.recordFailure(user, end, SETTINGS)).toEqual({ failures: 1 });
      expect(await store.lockedUntil([user], end)).toBeUndefined();
    });

    it('starts again at 1 when the last failure is older than the window', async () => {
      const user = key();
      for (let failure = 1; failure <= 4; failure++) await store.recordFailure(user, T0, SETTINGS);
      // Exactly at the window's edge it still counts.
      expect(await store.recordFailure(user, T0 + SETTINGS.windowMs, SETTINGS)).toEqual({
        failures: 5,
        lockedUntil: T0 + SETTINGS.windowMs + SETTINGS.lockoutMs,
      });
      const other = key();
      for (let failure = 1; failure <= 4; failure++) await store.recordFailure(other, T0, SETTINGS);
      expect(await store.recordFailure(other, T0 + SETTINGS.windowMs + 1, SETTINGS)).toEqual({ failures: 1 });
    });

    it('locks out at the first failure when the maximum is 1', async () => {
      const user = key();
      expect(await store.recordFailure(user, T0, { ...SETTINGS, maxFailures: 1 })).toEqual({
        failures: 1,
        lockedUntil: T0 + SETTINGS.lockoutMs,
      });
    });

    it('counts every one of 20 concurrent failures', async () => {
      const counted = key('addr');
      const states = await Promise.all(
        Array.from({ length: 20 }, () => store.recordFailure(counted, T0, { ...SETTINGS, maxFailures: 100 })),
      );
      expect(states.map((state) => state.failures).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expect(states.every((state) => state.lockedUntil === undefined)).toBe(true);

      const locked = key('addr');
      const results = await Promise.all(Array.from({ length: 20 }, () => store.recordFailure(locked, T0, SETTINGS)));
      expect(Math.max(...results.map((state) => state.failures))).toBe(20);
      expect(results.filter((state) => state.lockedUntil !== undefined)).toHaveLength(16);
      expect(await store.lockedUntil([locked], T0)).toBe(T0 + SETTINGS.lockoutMs);
    });

    it('tells the latest lockout among several keys, ignoring ended ones', async () => {
      const [user, address, unlocked] = [key('user'), key('addr'), key('user')];
      await store.recordFailure(user, T0, { ...SETTINGS, maxFailures: 1, lockoutMs: MINUTE });
      await store.recordFailure(address, T0, { ...SETTINGS, maxFailures: 1, lockoutMs: 2 * MINUTE });
      await store.recordFailure(unlocked, T0, SETTINGS);
      expect(await store.lockedUntil([user, address, unlocked, key()], T0)).toBe(T0 + 2 * MINUTE);
      expect(await store.lockedUntil([user, unlocked], T0)).toBe(T0 + MINUTE);
      expect(await store.lockedUntil([user, address], T0 + 2 * MINUTE)).toBeUndefined();
      expect(await store.lockedUntil([], T0)).toBeUndefined();
    });

    it('clears a counter', async () => {
      const user = key();
      for (let failure = 1; failure <= 5; failure++) await store.recordFailure(user, T0, SETTINGS);
      await store.clear(user);
      expect(await store.lockedUntil([user], T0)).toBeUndefined();
      expect(await store.recordFailure(user, T0, SETTINGS)).toEqual({ failures: 1 });
      await store.clear(key());
    });

    it('purges counters neither locked nor touched since a time', async () => {
      const before = EARLY + 60 * MINUTE;
      const stale = key();
      const recent = key();
      const locked = key();
      await store.recordFailure(stale, before - 1, SETTINGS);
      await store.recordFailure(recent, before, SETTINGS);
      await store.recordFailure(locked, EARLY, { ...SETTINGS, maxFailures: 1, lockoutMs: 120 * MINUTE });
      expect(await store.purge(before, before)).toBe(1);
      // The kept counters go on counting; the purged one starts again.
      expect(await store.recordFailure(recent, before, SETTINGS)).toEqual({ failures: 2 });
      expect(await store.recordFailure(stale, before, SETTINGS)).toEqual({ failures: 1 });
      expect(await store.lockedUntil([locked], before)).toBe(EARLY + 120 * MINUTE);
      // Once its lockout has ended, the locked counter goes too.
      expect(await store.purge(EARLY + 120 * MINUTE, before)).toBe(1);
      expect(await store.lockedUntil([locked], EARLY)).toBeUndefined();
    });
  });
}
