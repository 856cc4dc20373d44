import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleSession, ConsoleSessionStore, OperatorAccount, OperatorStore } from '../console-store.js';

export interface OperatorStoreHarness {
  store: { operators: OperatorStore; sessions: ConsoleSessionStore };
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;

const operator = (overrides: Partial<OperatorAccount> = {}): OperatorAccount => ({
  name: `op-${randomBytes(4).toString('hex')}`,
  role: 'operator',
  passwordHash: `$scrypt$${randomBytes(16).toString('base64')}`,
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

const session = (name: string): ConsoleSession => ({
  idHash: randomBytes(32).toString('hex'),
  operator: name,
  csrfToken: randomBytes(16).toString('base64url'),
  address: '192.0.2.1',
  createdAt: T0,
  lastSeenAt: T0,
  expiresAt: T0 + 8 * HOUR,
});

/** The behaviour every OperatorStore must have; run once per backend (the tests share one store). */
export function describeOperatorStoreContract(
  name: string,
  open: () => Promise<OperatorStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`OperatorStore contract: ${name}`, () => {
    let harness: OperatorStoreHarness;
    let operators: OperatorStore;
    let sessions: ConsoleSessionStore;
    beforeAll(async () => {
      harness = await open();
      ({ operators, sessions } = harness.store);
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    it('adds operators once, finds them and lists them by name', async () => {
      const tag = randomBytes(4).toString('hex');
      const accounts = [
        operator({ name: `${tag}.c`, role: 'viewer' }),
        operator({ name: `${tag}.a`, role: 'admin', createdAt: T0 + 1, updatedAt: T0 + 2 }),
        operator({ name: `${tag}.b@example.org` }),
      ];
      for (const account of accounts) expect(await operators.add(account)).toBe(true);
      expect(await operators.add({ ...accounts[0]!, role: 'admin', passwordHash: 'other' })).toBe(false);
      expect(await operators.get(accounts[0]!.name)).toEqual(accounts[0]);
      expect(await operators.get(accounts[1]!.name)).toEqual(accounts[1]);
      expect(await operators.get(`${tag}.unknown`)).toBeUndefined();
      // Names are exact: no case folding.
      expect(await operators.get(`${tag}.A`)).toBeUndefined();
      const listed = (await operators.list()).filter((account) => account.name.startsWith(tag));
      expect(listed).toEqual([accounts[1], accounts[2], accounts[0]]);
    });

    it('changes the password and the role, moving updatedAt; false for an unknown operator', async () => {
      const account = operator();
      await operators.add(account);
      expect(await operators.setPassword(account.name, 'new-hash', T0 + HOUR)).toBe(true);
      expect(await operators.get(account.name)).toEqual({ ...account, passwordHash: 'new-hash', updatedAt: T0 + HOUR });
      expect(await operators.setRole(account.name, 'admin', T0 + 2 * HOUR)).toBe('done');
      expect(await operators.get(account.name)).toEqual({
        ...account,
        passwordHash: 'new-hash',
        role: 'admin',
        updatedAt: T0 + 2 * HOUR,
      });
      expect(await operators.setPassword('nobody-here', 'x', T0)).toBe(false);
      expect(await operators.setRole('nobody-here', 'viewer', T0)).toBe('unknown');
    });

    it('removes an operator with all their sessions, and only theirs', async () => {
      const leaving = operator();
      const staying = operator();
      await operators.add(leaving);
      await operators.add(staying);
      const theirs = [session(leaving.name), session(leaving.name)];
      const other = session(staying.name);
      for (const each of [...theirs, other]) await sessions.create(each);

      expect(await operators.remove(leaving.name)).toBe('done');
      expect(await operators.get(leaving.name)).toBeUndefined();
      for (const each of theirs) expect(await sessions.get(each.idHash)).toBeUndefined();
      expect(await sessions.get(other.idHash)).toEqual(other);
      expect(await operators.get(staying.name)).toEqual(staying);
      expect(await operators.remove(leaving.name)).toBe('unknown');
      // A session cannot outlive, or be created for, an operator that does not exist.
      await expect(sessions.create(session(leaving.name))).rejects.toThrow();
    });

    it('never lets concurrent demotions and removals take away the last admin', async () => {
      for (let n = 0; n < 3; n++) await operators.add({ ...operator(), role: 'admin' });
      const admins = (await operators.list()).filter((account) => account.role === 'admin');
      expect(admins.length).toBeGreaterThanOrEqual(3);
      const outcomes = await Promise.all(
        admins.map((admin, index) =>
          index % 2 ? operators.remove(admin.name) : operators.setRole(admin.name, 'viewer', T0 + HOUR),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'last-admin')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'done')).toHaveLength(admins.length - 1);
      expect((await operators.list()).filter((account) => account.role === 'admin')).toHaveLength(1);
      // Making someone else admin, or changing the last admin's role to admin, is always allowed.
      const [last] = (await operators.list()).filter((account) => account.role === 'admin');
      expect(await operators.setRole(last!.name, 'admin', T0 + 2 * HOUR)).toBe('done');
    });
  });
}
