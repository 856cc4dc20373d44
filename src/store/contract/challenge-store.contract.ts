import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChallengeRecord, ChallengeStore } from '../challenge-store.js';

export interface ChallengeStoreHarness {
  store: ChallengeStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const record = (overrides: Partial<ChallengeRecord> = {}): ChallengeRecord => ({
  purpose: 'contract',
  subject: null,
  issuedAt: T0,
  expiresAt: T0 + 60_000,
  ...overrides,
});
const newId = () => randomBytes(32).toString('base64url');

/** The behaviour every ChallengeStore must have; run once per backend. */
export function describeChallengeStoreContract(
  name: string,
  open: () => Promise<ChallengeStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`ChallengeStore contract: ${name}`, () => {
    let harness: ChallengeStoreHarness;
    beforeAll(async () => {
      harness = await open();
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('consumes an issued challenge once and returns what was stored', async () => {
      const id = newId();
      await harness.store.insert(id, record({ subject: 'device-1' }), 60_000);
      const first = await harness.store.consume(id, 'contract', 'device-1', T0 + 1000);
      expect(first).toEqual({ ok: true, record: record({ subject: 'device-1' }) });
      expect(await harness.store.consume(id, 'contract', 'device-1', T0 + 2000)).toEqual({ ok: false, reason: 'used' });
    });

    it('tells unknown, wrong-purpose, expired and wrong-subject challenges apart without consuming them', async () => {
      const id = newId();
      await harness.store.insert(id, record({ subject: 'alice' }), 60_000);
      expect(await harness.store.consume(newId(), 'contract', null, T0)).toEqual({ ok: false, reason: 'unknown' });
      expect(await harness.store.consume(id, 'other-purpose', 'alice', T0)).toEqual({ ok: false, reason: 'unknown' });
      expect(await harness.store.consume(id, 'contract', 'mallory', T0)).toEqual({ ok: false, reason: 'subject' });
      expect(await harness.store.consume(id, 'contract', null, T0)).toEqual({ ok: false, reason: 'subject' });
      expect(await harness.store.consume(id, 'contract', 'alice', T0 + 60_000)).toEqual({
        ok: false,
        reason: 'expired',
      });
      // None of the rejections above used the challenge up.
      expect((await harness.store.consume(id, 'contract', 'alice', T0 + 59_999)).ok).toBe(true);
    });

    it('checks without consuming: the same result as consume would give, any number of times', async () => {
      const id = newId();
      await harness.store.insert(id, record({ subject: 'device-1' }), 60_000);
      const accepted = { ok: true, record: record({ subject: 'device-1' }) };
      expect(await harness.store.check(id, 'contract', 'device-1', T0 + 1000)).toEqual(accepted);
      expect(await harness.store.check(id, 'contract', 'device-1', T0 + 1000)).toEqual(accepted);
      expect(await harness.store.consume(id, 'contract', 'device-1', T0 + 2000)).toEqual(accepted);
      expect(await harness.store.check(id, 'contract', 'device-1', T0 + 3000)).toEqual({ ok: false, reason: 'used' });
      const unbound = newId();
      await harness.store.insert(unbound, record(), 60_000);
      expect(await harness.store.check(unbound, 'contract', null, T0)).toEqual({ ok: true, record: record() });
      expect(await harness.store.check(unbound, 'contract', 'whoever', T0)).toEqual({ ok: false, reason: 'subject' });
    });

    it('classifies unknown, wrong-purpose, expired, wrong-subject and used challenges in check exactly as consume does', async () => {
      const id = newId();
      await harness.store.insert(id, record({ subject: 'alice' }), 60_000);
      const cases: [string, string, string | null, number][] = [
        [newId(), 'contract', null, T0],
        [id, 'other-purpose', 'alice', T0],
        [id, 'contract', 'mallory', T0],
        [id, 'contract', null, T0],
        [id, 'contract', 'alice', T0 + 60_000],
      ];
      const expected = ['unknown', 'unknown', 'subject', 'subject', 'expired'];
      for (const [index, args] of cases.entries()) {
        expect(await harness.store.check(...args)).toEqual({ ok: false, reason: expected[index] });
        expect(await harness.store.consume(...args)).toEqual({ ok: false, reason: expected[index] });
      }
      // Used wins over expired and subject, in both.
      expect((await harness.store.consume(id, 'contract', 'alice', T0)).ok).toBe(true);
      for (const [subject, at] of [
        ['alice', T0],
        ['alice', T0 + 60_000],
        ['mallory', T0],
      ] as const) {
        expect(await harness.store.check(id, 'contract', subject, at)).toEqual({ ok: false, reason: 'used' });
        expect(await harness.store.consume(id, 'contract', subject, at)).toEqual({ ok: false, reason: 'used' });
      }
    });

    it('still gives exactly one success when 200 concurrent callers all check before consuming', async () => {
      const id = newId();
      await harness.store.insert(id, record(), 60_000);
      const results = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const checked = await harness.store.check(id, 'contract', null, T0 + 10);
          return checked.ok ? harness.store.consume(id, 'contract', null, T0 + 10) : checked;
        }),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok && result.reason === 'used')).toHaveLength(199);
    });

    it('matches the subject exactly: an unbound challenge is no wildcard for a bound consume or check', async () => {
      const id = newId();
      await harness.store.insert(id, record(), 60_000);
      expect(await harness.store.check(id, 'contract', 'whoever', T0)).toEqual({ ok: false, reason: 'subject' });
      expect(await harness.store.consume(id, 'contract', 'whoever', T0)).toEqual({ ok: false, reason: 'subject' });
      // The rejected consume did not use it: the unbound consume it was issued for still succeeds.
      expect(await harness.store.consume(id, 'contract', null, T0)).toEqual({ ok: true, record: record() });
    });

    it('gives exactly one success to 200 concurrent consumes of one challenge', async () => {
      const id = newId();
      await harness.store.insert(id, record(), 60_000);
      const results = await Promise.all(
        Array.from({ length: 200 }, () => harness.store.consume(id, 'contract', null, T0 + 10)),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok && result.reason === 'used')).toHaveLength(199);
    });

    it('consumes many different challenges concurrently, each once', async () => {
      const ids = Array.from({ length: 50 }, newId);
      await Promise.all(ids.map((id) => harness.store.insert(id, record(), 60_000)));
      const results = await Promise.all([...ids, ...ids].map((id) => harness.store.consume(id, 'contract', null, T0)));
      expect(results.filter((result) => result.ok)).toHaveLength(50);
    });
  });
}
