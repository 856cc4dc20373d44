import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionBucket, DecisionEvent, DecisionEventStore, NewDecisionEvent } from '../console-store.js';

export interface DecisionEventStoreHarness {
  store: DecisionEventStore;
  cleanup(): Promise<void>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-11-01T00:00:00Z');
/** The histogram's and the purge's events live in their own years: both look at every event in a time range. */
const HISTOGRAM = Date.parse('2025-01-01T00:00:00Z');
const EARLY = Date.parse('2020-01-01T00:00:00Z');
/** The hourly counts' events: hour-aligned ranges read the counts, not the events. */
const ROLLUP = Date.parse('2024-01-01T00:00:00Z');

const tag = () => randomBytes(4).toString('hex');

const event = (overrides: Partial<NewDecisionEvent> = {}): NewDecisionEvent => ({
  at: T0,
  capability: 'warden',
  operation: 'attest',
  platform: 'android',
  outcome: 'accepted',
  summary: { securityLevel: 'strongbox', osPatchLevel: '2026-10', app: ['com.example.wallet'] },
  ...overrides,
});

/** Every event of one capability, newest first. */
const all = (store: DecisionEventStore, capability: string) => store.list({ capability }, { limit: 10_000 });

/** The behaviour every DecisionEventStore must have; run once per backend (the tests share one store). */
export function describeDecisionEventStoreContract(
  name: string,
  open: () => Promise<DecisionEventStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`DecisionEventStore contract: ${name}`, () => {
    let harness: DecisionEventStoreHarness;
    let store: DecisionEventStore;
    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('appends events and gets them back by id, optional fields only when given', async () => {
      const capability = `cap-${tag()}`;
      const full = event({
        capability,
        outcome: 'rejected',
        category: 'TRUST',
        code: 'attestation_untrusted_root',
        subject: 'CN=Device 42',
        summary: { nested: { list: [1, 'zwei', null] }, unicode: 'Grüße 🔐', big: Number.MAX_SAFE_INTEGER },
        requestId: 'req-1',
      });
      const minimal = event({ capability, platform: '', at: T0 + 1 });
      await store.append([full, minimal]);
      await store.append([]);
      const [second, first] = await all(store, capability);
      expect(first!.id).toBeLessThan(second!.id);
      expect(typeof first!.id).toBe('number');
      expect(first).toEqual({ ...full, id: first!.id });
      expect(second).toEqual({ ...minimal, id: second!.id });
      for (const field of ['category', 'code', 'subject', 'requestId']) expect(second).not.toHaveProperty(field);
      expect(await store.get(first!.id)).toEqual(first);
      expect(await store.get(second!.id + 1_000_000)).toBeUndefined();
    });

    it('appends more events in one call than one statement holds, in order', async () => {
      const capability = `cap-${tag()}`;
      const events = Array.from({ length: 450 }, (_, i) => event({ capability, at: T0 + i, subject: `s-${i}` }));
      await store.append(events);
      const stored = await all(store, capability);
      expect(stored.map(({ id: _id, ...rest }) => rest)).toEqual([...events].reverse());
      const ids = stored.map((each) => each.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(new Set(ids).size).toBe(450);
    });

    it('lists newest first by every filter, and pages with before', async () => {
      const capability = `cap-${tag()}`;
      const subject = `device-${tag()}`;
      const code = `code_${tag()}`;
      const seeded = Array.from({ length: 40 }, (_, i) =>
        event({
          capability,
          at: T0 + i * MINUTE,
          operation: ['attest', 'register', 'renew'][i % 3]!,
          platform: ['android', 'ios', 'webauthn', ''][i % 4]!,
          ...(i % 5 === 0
            ? { outcome: 'rejected' as const, category: 'CONTENT' as const, code: i % 10 === 0 ? code : 'other' }
            : {}),
          ...(i % 7 === 0 ? { subject } : {}),
        }),
      );
      await store.append(seeded.slice(0, 13));
      await store.append(seeded.slice(13));
      const stored = await all(store, capability);
      expect(stored.map(({ id: _id, ...rest }) => rest)).toEqual([...seeded].reverse());

      const expectFilter = async (
        filter: Parameters<DecisionEventStore['list']>[0],
        keep: (each: DecisionEvent) => boolean,
      ) => {
        const expected = stored.filter(keep);
        expect(expected.length).toBeGreaterThan(0);
        expect(await store.list(filter, { limit: 100 })).toEqual(expected);
      };
      await expectFilter({ capability, outcome: 'rejected' }, (each) => each.outcome === 'rejected');
      await expectFilter({ capability, outcome: 'accepted' }, (each) => each.outcome === 'accepted');
      await expectFilter({ capability, operation: 'renew' }, (each) => each.operation === 'renew');
      await expectFilter({ capability, platform: 'ios' }, (each) => each.platform === 'ios');
      await expectFilter({ capability, platform: '' }, (each) => each.platform === '');
      await expectFilter({ code }, (each) => each.code === code);
      await expectFilter({ subject }, (each) => each.subject === subject);
      await expectFilter(
        { capability, from: T0 + 10 * MINUTE, to: T0 + 20 * MINUTE },
        (each) => each.at >= T0 + 10 * MINUTE && each.at < T0 + 20 * MINUTE,
      );
      await expectFilter(
        { capability, outcome: 'accepted', platform: 'android', operation: 'register', from: T0 + 5 * MINUTE },
        (each) =>
          each.outcome === 'accepted' &&
          each.platform === 'android' &&
          each.operation === 'register' &&
          each.at >= T0 + 5 * MINUTE,
      );
      expect(await store.list({ capability, subject: 'nobody' }, { limit: 10 })).toEqual([]);

      expect(await store.list({ capability }, { limit: 3 })).toEqual(stored.slice(0, 3));
      const paged: DecisionEvent[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await store.list({ capability }, { limit: 7, ...(before === undefined ? {} : { before }) });
        paged.push(...page);
        if (page.length < 7) break;
        before = page.at(-1)!.id;
      }
      expect(paged).toEqual(stored);
      const rejected = stored.filter((each) => each.outcome === 'rejected');
      expect(await store.list({ capability, outcome: 'rejected' }, { limit: 2, before: rejected[1]!.id })).toEqual(
        rejected.slice(2, 4),
      );
    });

    it('counts events per bucket of [from, to), by capability, outcome and category', async () => {
      const from = HISTOGRAM + 17 * MINUTE;
      const to = from + 5 * HOUR;
      const capabilities = ['dsr', 'mdvm', 'warden'];
      const seeded: NewDecisionEvent[] = [
        event({ at: from - 1 }),
        event({ at: from }),
        event({ at: to - 1, capability: 'mdvm' }),
        event({ at: to }),
      ];
      for (let i = 0; i < 120; i++) {
        const rejected = i % 4 === 0;
        seeded.push(
          event({
            at: from + ((i * 7_919_993) % (5 * HOUR)),
            capability: capabilities[i % 3]!,
            ...(rejected
              ? { outcome: 'rejected' as const, category: i % 8 === 0 ? ('TRUST' as const) : ('CONTENT' as const) }
              : {}),
          }),
        );
      }
      await store.append(seeded);

      const expected = new Map<string, DecisionBucket>();
      for (const each of seeded.filter((each) => each.at >= from && each.at < to)) {
        const start = from + Math.floor((each.at - from) / HOUR) * HOUR;
        const bucket = { start, capability: each.capability, outcome: each.outcome, category: each.category ?? '' };
        const id = JSON.stringify(bucket);
        expected.set(id, { ...bucket, count: (expected.get(id)?.count ?? 0) + 1 });
      }
      const key = (bucket: DecisionBucket) =>
        `${bucket.start}|${bucket.capability}|${bucket.outcome}|${bucket.category}`;
      const sorted = (buckets: DecisionBucket[]) => [...buckets].sort((a, b) => key(a).localeCompare(key(b)));

      const histogram = await store.histogram(from, to, HOUR);
      expect(sorted(histogram)).toEqual(sorted([...expected.values()]));
      expect(histogram.map((bucket) => bucket.start)).toEqual(
        histogram.map((bucket) => bucket.start).sort((a, b) => a - b),
      );
      expect(histogram.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(122);
      expect(histogram.find((bucket) => bucket.start === from && bucket.capability === 'warden')).toBeDefined();
      expect(histogram.some((bucket) => bucket.start === from + 4 * HOUR && bucket.capability === 'mdvm')).toBe(true);
      // One bucket over the whole range: the counts per capability, outcome and category.
      const whole = await store.histogram(from, to, 24 * HOUR);
      expect(new Set(whole.map((bucket) => bucket.start))).toEqual(new Set([from]));
      expect(whole.find((b) => b.capability === 'warden' && b.outcome === 'accepted')?.count).toBe(
        seeded.filter((e) => e.at >= from && e.at < to && e.capability === 'warden' && e.outcome === 'accepted').length,
      );
      expect(await store.histogram(HISTOGRAM - 2 * HOUR, HISTOGRAM - HOUR, MINUTE)).toEqual([]);
    });

    it('answers hour-aligned ranges from hourly counts that equal counting the events, across appends, and purges them with their hours', async () => {
      const seeded = (round: number) =>
        Array.from({ length: 60 }, (_, i) =>
          event({
            at: ROLLUP + ((i * 1_234_567 + round) % (6 * HOUR)),
            capability: i % 2 ? 'fido2' : 'dsr',
            ...(i % 3 === 0 ? { outcome: 'rejected' as const, category: 'TIME' as const } : {}),
          }),
        );
      const first = seeded(0);
      const second = seeded(1);
      await store.append(first);
      await store.append(second);
      const expected = (events: NewDecisionEvent[], bucketMs: number, from: number) => {
        const counts = new Map<string, number>();
        for (const each of events) {
          const start = from + Math.floor((each.at - from) / bucketMs) * bucketMs;
          const id = `${start}|${each.capability}|${each.outcome}|${each.category ?? ''}`;
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        return [...counts.entries()].sort();
      };
      const found = (buckets: DecisionBucket[]) =>
        buckets
          .map((b) => [`${b.start}|${b.capability}|${b.outcome}|${b.category}`, b.count] as [string, number])
          .sort();
      const all = [...first, ...second];
      expect(found(await store.histogram(ROLLUP, ROLLUP + 6 * HOUR, HOUR))).toEqual(expected(all, HOUR, ROLLUP));
      expect(found(await store.histogram(ROLLUP, ROLLUP + 6 * HOUR, 3 * HOUR))).toEqual(
        expected(all, 3 * HOUR, ROLLUP),
      );
      // The same range in minutes (read from the events) agrees with the hourly counts.
      const minutes = await store.histogram(ROLLUP, ROLLUP + 6 * HOUR, 60 * MINUTE - 1);
      expect(minutes.reduce((sum, b) => sum + b.count, 0)).toBe(all.length);

      const purged = await store.purgeBefore(ROLLUP + 3 * HOUR, 10_000);
      expect(purged).toBe(all.filter((each) => each.at < ROLLUP + 3 * HOUR).length);
      const remaining = all.filter((each) => each.at >= ROLLUP + 3 * HOUR);
      expect(found(await store.histogram(ROLLUP, ROLLUP + 6 * HOUR, HOUR))).toEqual(expected(remaining, HOUR, ROLLUP));
    });

    it('purges the oldest events before a time, at most a limit per call', async () => {
      const capability = `cap-${tag()}`;
      const old = Array.from({ length: 7 }, (_, i) => event({ capability, at: EARLY + i }));
      const kept = event({ capability, at: EARLY + 100 });
      await store.append([...old.slice(3), kept, ...old.slice(0, 3)]);
      expect(await store.purgeBefore(EARLY + 100, 3)).toBe(3);
      expect((await all(store, capability)).map((each) => each.at).sort((a, b) => a - b)).toEqual([
        EARLY + 3,
        EARLY + 4,
        EARLY + 5,
        EARLY + 6,
        EARLY + 100,
      ]);
      expect(await store.purgeBefore(EARLY + 100, 3)).toBe(3);
      expect(await store.purgeBefore(EARLY + 100, 3)).toBe(1);
      expect(await store.purgeBefore(EARLY + 100, 3)).toBe(0);
      expect((await all(store, capability)).map((each) => each.at)).toEqual([EARLY + 100]);
    });
  });
}
