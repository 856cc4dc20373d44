import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FixedClock } from '../clock.js';
import type { DecisionLogConfig } from '../config/console.js';
import type { DecisionEventStore } from '../store/console-store.js';
import { openStore, type Store } from '../store/store.js';
import { MAX_SUMMARY_CHARS } from './bounded-event.js';
import { createDecisionLog, DecisionLog, type DecisionInput, disabledDecisionLog } from './decision-log.js';
import { recorded } from './recorded.js';
import { contentError } from '../errors.js';

const AT = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;

const config = (overrides: Partial<DecisionLogConfig> = {}): DecisionLogConfig => ({
  enabled: true,
  retentionDays: 90,
  flushIntervalMs: 60_000,
  maxBuffered: 10_000,
  ...overrides,
});

const decision = (n: number, overrides: Partial<DecisionInput> = {}): DecisionInput => ({
  capability: 'warden',
  operation: 'attest',
  platform: 'android',
  outcome: 'accepted',
  subject: `serial-${n}`,
  summary: { n },
  requestId: `req-${n}`,
  ...overrides,
});

/** A store whose appends fail while `failing` is set. */
function flaky(store: DecisionEventStore) {
  const state = { failing: true, attempts: 0 };
  const wrapped: DecisionEventStore = Object.create(store);
  wrapped.append = async (events) => {
    state.attempts += 1;
    if (state.failing) throw new Error('database unavailable');
    return store.append(events);
  };
  return { store: wrapped, state };
}

describe('DecisionLog', () => {
  let store: Store;
  const clock = new FixedClock(AT);
  const counts = { written: 0, dropped: 0 };
  const metrics = {
    written: (count: number) => (counts.written += count),
    dropped: (count: number) => (counts.dropped += count),
  };
  const all = () => store.decisionEvents.list({}, { limit: 10_000 });

  beforeEach(async () => {
    store = await openStore({ url: 'sqlite::memory:', schema: '' });
    clock.set(AT);
    counts.written = 0;
    counts.dropped = 0;
  });
  afterEach(async () => {
    await store.close();
  });

  it('only buffers on record(), then writes everything in batches on flush, oldest first', async () => {
    const log = new DecisionLog({ config: config(), store: store.decisionEvents, clock, metrics });
    for (let n = 0; n < 1200; n++) log.record(decision(n));
    // Nothing reaches the database inside record(): a full batch waits for the next turn of the loop.
    expect(log.buffered).toBe(1200);
    await log.flush();
    const events = await all();
    expect(events).toHaveLength(1200);
    expect(events.at(-1)).toMatchObject({ at: AT, subject: 'serial-0', requestId: 'req-0', summary: { n: 0 } });
    expect(counts.written).toBe(1200);
    await log.stop();
  });

  it('writes a full batch on its own, without waiting for the interval', async () => {
    const log = createDecisionLog({ config: config(), store: store.decisionEvents, clock, metrics });
    for (let n = 0; n < 500; n++) log.record(decision(n));
    await vi.waitFor(async () => expect(await all()).toHaveLength(500));
    await log.stop();
  });

  it('writes on the flush interval', async () => {
    const log = createDecisionLog({
      config: config({ flushIntervalMs: 10 }),
      store: store.decisionEvents,
      clock,
      metrics,
    });
    log.record(decision(1));
    await vi.waitFor(async () => expect(await all()).toHaveLength(1));
    await log.stop();
  });

  it('writes what is buffered when it stops', async () => {
    const log = createDecisionLog({ config: config(), store: store.decisionEvents, clock, metrics });
    log.record(decision(1));
    log.record(decision(2, { outcome: 'rejected', category: 'TRUST', code: 'CHAIN_UNTRUSTED' }));
    await log.stop();
    const events = await all();
    expect(events.map((event) => event.subject)).toEqual(['serial-2', 'serial-1']);
    expect(events[0]).toMatchObject({ outcome: 'rejected', category: 'TRUST', code: 'CHAIN_UNTRUSTED' });
  });

  it('keeps the events of a failed write and writes them on the next attempt, in order', async () => {
    const { store: failing, state } = flaky(store.decisionEvents);
    const errors: string[] = [];
    const log = new DecisionLog({
      config: config(),
      store: failing,
      clock,
      metrics,
      onError: (_error, during) => errors.push(during),
    });
    for (let n = 0; n < 3; n++) log.record(decision(n));
    await log.flush();
    expect(errors).toEqual(['write']);
    expect(log.buffered).toBe(3);
    log.record(decision(3));
    state.failing = false;
    await log.flush();
    expect((await all()).map((event) => event.subject)).toEqual(['serial-3', 'serial-2', 'serial-1', 'serial-0']);
    expect(counts).toEqual({ written: 4, dropped: 0 });
    await log.stop();
  });

  it('drops the oldest beyond maxBuffered while the database refuses writes, and counts them', async () => {
    const { store: failing, state } = flaky(store.decisionEvents);
    const log = new DecisionLog({ config: config({ maxBuffered: 100 }), store: failing, clock, metrics });
    for (let n = 0; n < 150; n++) log.record(decision(n));
    expect(log.buffered).toBe(100);
    expect(counts.dropped).toBe(50);
    await log.flush();
    expect(log.buffered).toBe(100);
    state.failing = false;
    await log.stop();
    const events = await all();
    expect(events).toHaveLength(100);
    expect(events.at(-1)?.subject).toBe('serial-50');
    expect(counts).toEqual({ written: 100, dropped: 50 });
  });

  it('counts what a stop could not write as dropped', async () => {
    const { store: failing } = flaky(store.decisionEvents);
    const log = new DecisionLog({ config: config(), store: failing, clock, metrics });
    log.record(decision(1));
    await log.stop();
    expect(counts).toEqual({ written: 0, dropped: 1 });
  });

  it('purges what is older than retentionDays, in batches until a batch is not full', async () => {
    const log = new DecisionLog({ config: config({ retentionDays: 30 }), store: store.decisionEvents, clock, metrics });
    for (let n = 0; n < 5100; n++) log.record(decision(n, { at: AT - 31 * DAY + n }));
    log.record(decision(9999, { at: AT - 29 * DAY }));
    await log.flush();
    const purgeBefore = vi.spyOn(store.decisionEvents, 'purgeBefore');
    expect(await log.purge()).toBe(5100);
    expect(purgeBefore.mock.calls).toEqual([
      [AT - 30 * DAY, 5000],
      [AT - 30 * DAY, 5000],
    ]);
    expect((await all()).map((event) => event.subject)).toEqual(['serial-9999']);
    await log.stop();
  });

  it('keeps summaries small and free of secrets', async () => {
    const log = new DecisionLog({ config: config(), store: store.decisionEvents, clock, metrics });
    log.record(
      decision(1, {
        summary: {
          securityLevel: 'StrongBox',
          token: 'eyJhbGciOi',
          provisioningCode: '123456',
          password: 'hunter2',
          jwk: { kty: 'EC', x: 'abc', d: 'private-part' },
          nonce: 'AAAA',
          long: 'x'.repeat(5000),
          many: Array.from({ length: 100 }, (_, i) => `item ${i} ${'y'.repeat(150)}`),
        },
      }),
    );
    await log.stop();
    const [event] = await all();
    const summary = event!.summary;
    expect(summary).toMatchObject({ securityLevel: 'StrongBox', jwk: { kty: 'EC', x: 'abc' } });
    for (const key of ['token', 'provisioningCode', 'password', 'nonce']) expect(summary).not.toHaveProperty(key);
    expect(summary.jwk).not.toHaveProperty('d');
    expect(JSON.stringify(summary).length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
    expect(summary.truncated).toBe(true);
  });

  it('does nothing when disabled', async () => {
    const log = createDecisionLog({
      config: config({ enabled: false }),
      store: store.decisionEvents,
      clock,
      metrics,
    });
    expect(log).toBe(disabledDecisionLog);
    log.record(decision(1));
    await log.flush();
    await log.stop();
    expect(await all()).toEqual([]);
  });

  it('records a wrapped verification as accepted with its facts, or rejected with the error, which it rethrows', async () => {
    const log = new DecisionLog({ config: config(), store: store.decisionEvents, clock, metrics });
    const draft = { capability: 'mdvm', operation: 'renew', platform: 'ios', requestId: 'r1', summary: { a: 1 } };
    await recorded(
      log,
      draft,
      async () => ({ id: 'acct' }),
      (result) => ({ subject: result.id, summary: { b: 2 } }),
    );
    await expect(
      recorded(
        log,
        { ...draft, requestId: 'r2' },
        async () => {
          throw contentError('MALFORMED_BODY', 'bad');
        },
        () => ({}),
      ),
    ).rejects.toThrow('bad');
    await expect(
      recorded(
        log,
        { ...draft, requestId: 'r3' },
        async () => {
          throw new Error('boom');
        },
        () => ({}),
      ),
    ).rejects.toThrow('boom');
    await log.stop();
    const [internal, refused, accepted] = await all();
    expect(accepted).toMatchObject({ outcome: 'accepted', subject: 'acct', summary: { a: 1, b: 2 } });
    expect(accepted).not.toHaveProperty('code');
    expect(refused).toMatchObject({
      outcome: 'rejected',
      category: 'CONTENT',
      code: 'MALFORMED_BODY',
      requestId: 'r2',
    });
    expect(internal).toMatchObject({ outcome: 'rejected', category: 'INTERNAL', code: 'INTERNAL_ERROR' });
  });
});
