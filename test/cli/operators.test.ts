import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { OperatorAccounts } from '../../src/features/console/operator-accounts.js';
import { openStore, type Store } from '../../src/store/store.js';
import { type CliResult, runCli } from '../helpers/cli.js';

/** One data directory (SQLite at <dataDir>/keyward.db) that the steps below change in turn. */
const dataDir = mkdtempSync(join(tmpdir(), 'keyward-operators-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const kw = (args: string[], input?: string) =>
  runCli(['operators', ...args, '--data-dir', dataDir], input === undefined ? {} : { input });
const ok = (result: CliResult) => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
};

/** The same database, opened in this process while no command runs. */
async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ url: `sqlite:${join(dataDir, 'keyward.db')}`, schema: '' });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const authenticates = (name: string, password: string) =>
  withStore(async (store) =>
    Boolean(
      await new OperatorAccounts(store.operators, store.consoleSessions, store.auditEvents, systemClock).authenticate(
        name,
        password,
      ),
    ),
  );

describe('keyward operators', { timeout: 60_000 }, () => {
  it('adds operators with the password from standard input, refusing a taken name and a short password', async () => {
    expect(JSON.parse(ok(await kw(['add', 'alice', '--role', 'admin'], 'correct horse battery\n')))).toMatchObject({
      name: 'alice',
      role: 'admin',
    });
    const again = await kw(['add', 'alice', '--role', 'viewer'], 'another password\n');
    expect([again.code, again.stderr]).toEqual([1, 'keyward: operator alice exists already\n']);
    const short = await kw(['add', 'bob', '--role', 'operator'], 'eleven char\n');
    expect([short.code, short.stderr]).toEqual([2, 'keyward: passwords are 12–1024 characters\n']);
    ok(await kw(['add', 'bob', '--role', 'operator'], 'bob password 1\r\n'));
    expect(await authenticates('bob', 'bob password 1')).toBe(true);
  });

  it('lists operators as a table or JSON, without their password hashes', async () => {
    const table = ok(await kw(['list'])).split('\n');
    expect(table[0]).toMatch(/^NAME +ROLE +CREATED +UPDATED$/);
    expect(table[1]).toMatch(/^alice +admin +\d{4}-\d\d-\d\dT/);
    expect(table[2]).toMatch(/^bob +operator +\d{4}-/);
    const json = ok(await kw(['list', '--json']));
    expect(json).not.toMatch(/scrypt|hash/i);
    expect(JSON.parse(json).map(({ name, role }: { name: string; role: string }) => [name, role])).toEqual([
      ['alice', 'admin'],
      ['bob', 'operator'],
    ]);
  });

  it('changes a password and a role, and never removes the last admin', async () => {
    ok(await kw(['passwd', 'bob'], 'bob password 2\n'));
    expect(await authenticates('bob', 'bob password 1')).toBe(false);
    expect(await authenticates('bob', 'bob password 2')).toBe(true);

    const last = await kw(['remove', 'alice']);
    expect([last.code, last.stderr]).toEqual([
      1,
      'keyward: alice is the last admin: make another operator admin first\n',
    ]);
    expect(JSON.parse(ok(await kw(['role', 'bob', 'admin'])))).toMatchObject({ name: 'bob', role: 'admin' });
    expect(JSON.parse(ok(await kw(['remove', 'alice'])))).toEqual({ name: 'alice', removed: true });
    expect(await authenticates('alice', 'correct horse battery')).toBe(false);
  });

  it('audits every change as cli:<OS user> from the local address', async () => {
    const events = await withStore((store) => store.auditEvents.list({}, { limit: 50 }));
    expect(events.reverse().map(({ action, target, outcome, detail }) => [action, target, outcome, detail])).toEqual([
      ['operator.add', 'alice', 'ok', { role: 'admin' }],
      ['operator.add', 'alice', 'refused', { role: 'viewer', code: 'OPERATOR_EXISTS' }],
      ['operator.add', 'bob', 'ok', { role: 'operator' }],
      ['operator.passwd', 'bob', 'ok', { role: 'operator' }],
      ['operator.remove', 'alice', 'refused', { role: 'admin', code: 'OPERATOR_LAST_ADMIN' }],
      ['operator.role', 'bob', 'ok', { role: 'admin', previousRole: 'operator' }],
      ['operator.remove', 'alice', 'ok', { role: 'admin' }],
    ]);
    for (const event of events)
      expect(event).toMatchObject({ actor: `cli:${userInfo().username}`, actorKind: 'cli', address: 'local' });
  });
});
