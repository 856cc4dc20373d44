import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleSession, ConsoleSessionStore, OperatorStore } from '../console-store.js';

export interface ConsoleSessionStoreHarness {
  /** Sessions belong to operators, so the contract creates those too. */
  store: { operators: OperatorStore; sessions: ConsoleSessionStore };
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
/** The purge test's sessions live years earlier, so a purge at their times leaves other tests' sessions alone. */
const EARLY = Date.parse('2020-01-01T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const session = (operator: string, overrides: Partial<ConsoleSession> = {}): ConsoleSession => ({
  idHash: randomBytes(32).toString('hex'),
  operator,
  csrfToken: randomBytes(16).toString('base64url'),
  address: '2001:db8::1',
  createdAt: T0,
  lastSeenAt: T0,
  expiresAt: T0 + 8 * HOUR,
  ...overrides,
});

/** The behaviour every ConsoleSessionStore must have; run once per backend (the tests share one store). */
export function describeConsoleSessionStoreContract(
  name: string,
  open: () => Promise<ConsoleSessionStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`ConsoleSessionStore contract: ${name}`, () => {
    let harness: ConsoleSessionStoreHarness;
    let sessions: ConsoleSessionStore;
    beforeAll(async () => {
      harness = await open();
      sessions = harness.store.sessions;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    const newOperator = async () => {
      const name = `op-${randomBytes(4).toString('hex')}`;
      await harness.store.operators.add({ name, role: 'viewer', passwordHash: 'h', createdAt: T0, updatedAt: T0 });
      return name;
    };

    it('creates a session and gets it back with times as numbers; refuses a second with the same id', async () => {
      const created = session(await newOperator(), { lastSeenAt: T0 + 5 });
      await sessions.create(created);
      expect(await sessions.get(created.idHash)).toEqual(created);
      expect(await sessions.get(randomBytes(32).toString('hex'))).toBeUndefined();
      await expect(sessions.create({ ...created, csrfToken: 'other' })).rejects.toThrow();
      expect((await sessions.get(created.idHash))?.csrfToken).toBe(created.csrfToken);
    });

    it('moves lastSeenAt only forward', async () => {
      const created = session(await newOperator());
      await sessions.create(created);
      await sessions.touch(created.idHash, T0 + MINUTE);
      expect((await sessions.get(created.idHash))?.lastSeenAt).toBe(T0 + MINUTE);
      await sessions.touch(created.idHash, T0 + 30_000);
      expect(await sessions.get(created.idHash)).toEqual({ ...created, lastSeenAt: T0 + MINUTE });
      // Unknown sessions are no error.
      await sessions.touch(randomBytes(32).toString('hex'), T0);
    });

    it('deletes one session, and every session of one operator', async () => {
      const [alice, bob] = [await newOperator(), await newOperator()];
      const alices = [session(alice), session(alice), session(alice)];
      const bobs = session(bob);
      for (const each of [...alices, bobs]) await sessions.create(each);

      expect(await sessions.delete(alices[0]!.idHash)).toBe(true);
      expect(await sessions.delete(alices[0]!.idHash)).toBe(false);
      expect(await sessions.get(alices[0]!.idHash)).toBeUndefined();
      expect(await sessions.deleteForOperator(alice)).toBe(2);
      expect(await sessions.deleteForOperator(alice)).toBe(0);
      for (const each of alices) expect(await sessions.get(each.idHash)).toBeUndefined();
      expect(await sessions.get(bobs.idHash)).toEqual(bobs);
    });

    it('purges sessions idle too long or past their absolute end, keeping the others', async () => {
      const owner = await newOperator();
      const now = EARLY + 10 * HOUR;
      const idleBefore = now - 30 * MINUTE;
      const idle = session(owner, { createdAt: EARLY, lastSeenAt: idleBefore - 1, expiresAt: now + HOUR });
      const expired = session(owner, { createdAt: EARLY, lastSeenAt: now - MINUTE, expiresAt: now });
      const active = session(owner, { createdAt: EARLY, lastSeenAt: idleBefore, expiresAt: now + 1 });
      for (const each of [idle, expired, active]) await sessions.create(each);

      expect(await sessions.purge(now, idleBefore)).toBe(2);
      expect(await sessions.get(idle.idHash)).toBeUndefined();
      expect(await sessions.get(expired.idHash)).toBeUndefined();
      expect(await sessions.get(active.idHash)).toEqual(active);
      expect(await sessions.purge(now, idleBefore)).toBe(0);
    });
  });
}
