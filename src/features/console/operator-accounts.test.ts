import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteBackend, type TestBackend } from '../../../test/helpers/backends.js';
import { FixedClock } from '../../clock.js';
import type { KeywardError } from '../../errors.js';
import { type AuditActor, OperatorAccounts } from './operator-accounts.js';
import { verifyPassword } from './passwords.js';

const T0 = Date.UTC(2026, 0, 1);
const CLI: AuditActor = { actor: 'cli:root', actorKind: 'cli', address: 'local' };
const ALICE: AuditActor = { actor: 'alice', actorKind: 'operator', address: '192.0.2.7', requestId: 'req-1' };
const PASSWORD = 'correct horse battery';

let backend: TestBackend;
let clock: FixedClock;
let accounts: OperatorAccounts;
// A fresh database per test: the audit trail is append-only.
beforeEach(async () => {
  backend = await sqliteBackend();
  clock = new FixedClock(T0);
  const { operators, consoleSessions, auditEvents } = backend.store;
  accounts = new OperatorAccounts(operators, consoleSessions, auditEvents, clock);
});
afterEach(() => backend.cleanup());

/** The code a refused call throws. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: KeywardError) => `${error.category} ${error.code} ${error.status}`,
  );

const auditOf = async (target: string) =>
  (await backend.store.auditEvents.list({ target }, { limit: 50 })).reverse().map(({ id: _, ...event }) => event);

const sessionFor = async (operator: string, idHash: string) =>
  backend.store.consoleSessions.create({
    idHash,
    operator,
    csrfToken: `csrf-${idHash}`,
    address: '192.0.2.1',
    createdAt: clock.now(),
    lastSeenAt: clock.now(),
    expiresAt: clock.now() + 3_600_000,
  });

describe('OperatorAccounts', () => {
  it('adds an operator, lists it without the hash and audits the addition', async () => {
    const added = await accounts.add('ops.lead@example', 'admin', PASSWORD, CLI);
    expect(added).toEqual({ name: 'ops.lead@example', role: 'admin', createdAt: T0, updatedAt: T0 });
    expect(await accounts.list()).toEqual([added]);
    const stored = await backend.store.operators.get('ops.lead@example');
    expect(await verifyPassword(PASSWORD, stored!.passwordHash)).toBe(true);
    expect(await auditOf('ops.lead@example')).toEqual([
      {
        at: T0,
        actor: 'cli:root',
        actorKind: 'cli',
        action: 'operator.add',
        target: 'ops.lead@example',
        outcome: 'ok',
        address: 'local',
        detail: { role: 'admin' },
      },
    ]);
  });

  it('refuses invalid names, roles and passwords before touching the store', async () => {
    const cases: [string, string, string, string][] = [
      ['', 'admin', PASSWORD, 'OPERATOR_NAME_INVALID'],
      ['a'.repeat(65), 'admin', PASSWORD, 'OPERATOR_NAME_INVALID'],
      ['bob smith', 'admin', PASSWORD, 'OPERATOR_NAME_INVALID'],
      ['bob', 'root', PASSWORD, 'OPERATOR_ROLE_INVALID'],
      ['bob', 'admin', 'eleven char', 'OPERATOR_PASSWORD_INVALID'],
      ['bob', 'admin', 'x'.repeat(1025), 'OPERATOR_PASSWORD_INVALID'],
      // Eleven characters, twenty-two UTF-16 units.
      ['bob', 'admin', '🔑'.repeat(11), 'OPERATOR_PASSWORD_INVALID'],
    ];
    for (const [name, role, password, code] of cases)
      expect(await refusal(accounts.add(name, role, password, CLI)), name).toBe(`CONTENT ${code} 400`);
    expect(await accounts.list()).toEqual([]);
    expect(await backend.store.auditEvents.list({ action: 'operator.add', target: 'bob' }, { limit: 5 })).toEqual([]);

    await accounts.add('a'.repeat(64), 'viewer', 'x'.repeat(12), CLI);
    await accounts.add('bob', 'viewer', '🔑'.repeat(12), CLI);
    await accounts.add('carol', 'viewer', 'x'.repeat(1024), CLI);
    expect(await accounts.list()).toHaveLength(3);
  });

  it('refuses a second operator of the same name, auditing the refusal', async () => {
    await accounts.add('bob', 'viewer', PASSWORD, CLI);
    expect(await refusal(accounts.add('bob', 'admin', 'another password', ALICE))).toBe('CONTENT OPERATOR_EXISTS 409');
    expect(await accounts.authenticate('bob', PASSWORD)).toMatchObject({ role: 'viewer' });
    expect((await auditOf('bob'))[1]).toEqual({
      at: T0,
      actor: 'alice',
      actorKind: 'operator',
      action: 'operator.add',
      target: 'bob',
      outcome: 'refused',
      address: '192.0.2.7',
      detail: { role: 'admin', code: 'OPERATOR_EXISTS' },
      requestId: 'req-1',
    });
  });

  it('authenticates only the right password of a known operator, at the cost of a verification either way', async () => {
    await accounts.add('bob', 'operator', PASSWORD, CLI);
    expect(await accounts.authenticate('bob', PASSWORD)).toEqual({
      name: 'bob',
      role: 'operator',
      createdAt: T0,
      updatedAt: T0,
    });
    expect(await accounts.authenticate('bob', `${PASSWORD}!`)).toBeUndefined();
    expect(await accounts.authenticate('Bob', PASSWORD)).toBeUndefined();
    expect(await accounts.authenticate('no such name', PASSWORD)).toBeUndefined();

    const timed = async (name: string) => {
      const start = performance.now();
      await accounts.authenticate(name, 'wrong password');
      return performance.now() - start;
    };
    const known = Math.min(await timed('bob'), await timed('bob'));
    const unknown = Math.min(await timed('nobody'), await timed('nobody'));
    // One scrypt each (tens of milliseconds); skipping it would make the unknown name ~100 times faster.
    expect(unknown).toBeGreaterThan(known / 3);
  });

  it("changes a password, ending the operator's sessions and no one else's", async () => {
    await accounts.add('bob', 'operator', PASSWORD, CLI);
    await accounts.add('carol', 'operator', PASSWORD, CLI);
    await sessionFor('bob', 'b1');
    await sessionFor('bob', 'b2');
    await sessionFor('carol', 'c1');
    clock.advance(1000);
    expect(await accounts.setPassword('bob', 'a new password', ALICE)).toMatchObject({ updatedAt: T0 + 1000 });
    expect(await accounts.authenticate('bob', PASSWORD)).toBeUndefined();
    expect(await accounts.authenticate('bob', 'a new password')).toMatchObject({ name: 'bob' });
    expect(await backend.store.consoleSessions.get('b1')).toBeUndefined();
    expect(await backend.store.consoleSessions.get('b2')).toBeUndefined();
    expect(await backend.store.consoleSessions.get('c1')).toBeDefined();
    expect((await auditOf('bob'))[1]).toMatchObject({
      action: 'operator.passwd',
      outcome: 'ok',
      actor: 'alice',
      detail: { role: 'operator' },
    });

    expect(await refusal(accounts.setPassword('bob', 'short', ALICE))).toBe('CONTENT OPERATOR_PASSWORD_INVALID 400');
    expect(await refusal(accounts.setPassword('dave', 'a new password', ALICE))).toBe('CONTENT OPERATOR_UNKNOWN 404');
    expect(await auditOf('dave')).toMatchObject([
      { action: 'operator.passwd', outcome: 'refused', detail: { code: 'OPERATOR_UNKNOWN' } },
    ]);
  });

  it('changes a role, ending the sessions', async () => {
    await accounts.add('bob', 'viewer', PASSWORD, CLI);
    await sessionFor('bob', 'b1');
    clock.advance(5);
    expect(await accounts.setRole('bob', 'operator', CLI)).toEqual({
      name: 'bob',
      role: 'operator',
      createdAt: T0,
      updatedAt: T0 + 5,
    });
    expect(await accounts.list()).toMatchObject([{ name: 'bob', role: 'operator' }]);
    expect(await backend.store.consoleSessions.get('b1')).toBeUndefined();
    expect((await auditOf('bob'))[1]).toMatchObject({
      action: 'operator.role',
      detail: { role: 'operator', previousRole: 'viewer' },
    });
    expect(await refusal(accounts.setRole('bob', 'superuser', CLI))).toBe('CONTENT OPERATOR_ROLE_INVALID 400');
  });

  it('never removes or demotes the last admin', async () => {
    await accounts.add('alice', 'admin', PASSWORD, CLI);
    await accounts.add('bob', 'operator', PASSWORD, CLI);
    expect(await refusal(accounts.remove('alice', CLI))).toBe('CONTENT OPERATOR_LAST_ADMIN 409');
    expect(await refusal(accounts.setRole('alice', 'operator', CLI))).toBe('CONTENT OPERATOR_LAST_ADMIN 409');
    expect(await accounts.setRole('alice', 'admin', CLI)).toMatchObject({ role: 'admin' });
    expect((await auditOf('alice')).map(({ action, outcome, detail }) => [action, outcome, detail])).toEqual([
      ['operator.add', 'ok', { role: 'admin' }],
      ['operator.remove', 'refused', { role: 'admin', code: 'OPERATOR_LAST_ADMIN' }],
      ['operator.role', 'refused', { role: 'operator', previousRole: 'admin', code: 'OPERATOR_LAST_ADMIN' }],
      ['operator.role', 'ok', { role: 'admin', previousRole: 'admin' }],
    ]);

    await accounts.setRole('bob', 'admin', CLI);
    await accounts.setRole('alice', 'viewer', CLI);
    expect(await refusal(accounts.remove('bob', CLI))).toBe('CONTENT OPERATOR_LAST_ADMIN 409');
    expect(await accounts.list()).toMatchObject([
      { name: 'alice', role: 'viewer' },
      { name: 'bob', role: 'admin' },
    ]);
  });

  it('removes an operator with their sessions', async () => {
    await accounts.add('alice', 'admin', PASSWORD, CLI);
    await accounts.add('bob', 'operator', PASSWORD, CLI);
    await sessionFor('bob', 'b1');
    await accounts.remove('bob', ALICE);
    expect(await accounts.list()).toMatchObject([{ name: 'alice' }]);
    expect(await accounts.authenticate('bob', PASSWORD)).toBeUndefined();
    expect(await backend.store.consoleSessions.get('b1')).toBeUndefined();
    expect((await auditOf('bob'))[1]).toMatchObject({
      action: 'operator.remove',
      outcome: 'ok',
      actor: 'alice',
      detail: { role: 'operator' },
    });
    expect(await refusal(accounts.remove('bob', ALICE))).toBe('CONTENT OPERATOR_UNKNOWN 404');
  });
});
