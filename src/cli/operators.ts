import { userInfo } from 'node:os';
import { Argument, Option, type Command } from 'commander';
import { systemClock } from '../clock.js';
import { type ErrorCode, isKeywardError } from '../errors.js';
import {
  type AuditActor,
  checkOperatorName,
  OperatorAccounts,
  type OperatorSummary,
} from '../features/console/operator-accounts.js';
import { OPERATOR_ROLES } from '../store/console-store.js';
import { addConfigOptions, configFromFlags, withConfiguredStore } from './options.js';
import { UsageError } from './usage-error.js';

/** Codes of a request that was wrong in itself (exit 2); refusals by the accounts' state stay failures (exit 1). */
const USAGE_CODES: readonly ErrorCode[] = [
  'OPERATOR_NAME_INVALID',
  'OPERATOR_ROLE_INVALID',
  'OPERATOR_PASSWORD_INVALID',
];

async function usageErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isKeywardError(error) && USAGE_CODES.includes(error.code)) throw new UsageError(error.message);
    throw error;
  }
}

async function withAccounts<T>(
  flags: Record<string, unknown>,
  use: (accounts: OperatorAccounts) => Promise<T>,
): Promise<T> {
  const { config } = configFromFlags(flags);
  return withConfiguredStore(config, (store) =>
    use(new OperatorAccounts(store.operators, store.consoleSessions, store.auditEvents, systemClock)),
  );
}

function cliActor(): AuditActor {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A container may run under a uid with no passwd entry.
    user = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return { actor: `cli:${user}`, actorKind: 'cli', address: 'local' };
}

/** The password alone on standard input (a pipe or file), one trailing newline dropped. */
async function passwordFromStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.length > 64 * 1024) throw new UsageError('standard input is too long for a password');
  }
  const line = text.replace(/\r?\n$/, '');
  if (/[\r\n]/.test(line)) throw new UsageError('standard input must hold the password alone, on one line');
  return line;
}

async function promptHidden(question: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  const { Writable } = await import('node:stream');
  let muted = false;
  // readline echoes what is typed through its output: once the question is out, nothing passes.
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const prompt = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      prompt.on('SIGINT', () => reject(new UsageError('cancelled')));
      prompt.on('close', () => reject(new UsageError('cancelled')));
      prompt.question(question, resolve);
      muted = true;
    });
  } finally {
    prompt.close();
    process.stderr.write('\n');
  }
}

/** From standard input when it is not a terminal; otherwise asked twice without echo. */
async function newPassword(name: string): Promise<string> {
  if (!process.stdin.isTTY) return passwordFromStdin();
  const password = await promptHidden(`Password for ${name}: `);
  if ((await promptHidden('Repeat it: ')) !== password) throw new UsageError('the passwords differ');
  return password;
}

const shown = ({ createdAt, updatedAt, ...account }: OperatorSummary) => ({
  ...account,
  createdAt: new Date(createdAt).toISOString(),
  updatedAt: new Date(updatedAt).toISOString(),
});

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerOperators(program: Command): void {
  const operators = program
    .command('operators')
    .description('operator accounts of the web console (/console); every change is audited as cli:<OS user>');
  const roleHelp = 'viewer: read only; operator: also revokes and edits; admin: also manages operators';

  addConfigOptions(
    operators
      .command('add')
      .description('add an operator; the password is read from standard input, or asked twice on a terminal')
      .argument('<name>', '1–64 characters of A-Z a-z 0-9 . _ @ -')
      .addOption(new Option('--role <role>', roleHelp).choices(OPERATOR_ROLES).makeOptionMandatory()),
  ).action((name: string, flags: Record<string, unknown>) =>
    usageErrors(async () => {
      checkOperatorName(name);
      const password = await newPassword(name);
      const role = String(flags.role);
      print(shown(await withAccounts(flags, (accounts) => accounts.add(name, role, password, cliActor()))));
    }),
  );

  addConfigOptions(
    operators
      .command('passwd')
      .description("set an operator's password (standard input or asked twice) and end their console sessions")
      .argument('<name>', 'operator name'),
  ).action((name: string, flags: Record<string, unknown>) =>
    usageErrors(async () => {
      checkOperatorName(name);
      const password = await newPassword(name);
      print(shown(await withAccounts(flags, (accounts) => accounts.setPassword(name, password, cliActor()))));
    }),
  );

  addConfigOptions(
    operators
      .command('role')
      .description("change an operator's role and end their console sessions (the last admin stays admin)")
      .argument('<name>', 'operator name')
      .addArgument(new Argument('<role>', roleHelp).choices(OPERATOR_ROLES)),
  ).action((name: string, role: string, flags: Record<string, unknown>) =>
    usageErrors(async () =>
      print(shown(await withAccounts(flags, (accounts) => accounts.setRole(name, role, cliActor())))),
    ),
  );

  addConfigOptions(
    operators
      .command('remove')
      .description('remove an operator and their console sessions (never the last admin)')
      .argument('<name>', 'operator name'),
  ).action((name: string, flags: Record<string, unknown>) =>
    usageErrors(async () => {
      await withAccounts(flags, (accounts) => accounts.remove(name, cliActor()));
      print({ name, removed: true });
    }),
  );

  addConfigOptions(
    operators
      .command('list')
      .description('list operators by name (never their password hashes)')
      .option('--json', 'as JSON'),
  ).action(async (flags: Record<string, unknown>) => {
    const list = (await withAccounts(flags, (accounts) => accounts.list())).map(shown);
    if (flags.json) return print(list);
    const rows = list.map(({ name, role, createdAt, updatedAt }) => [name, role, createdAt, updatedAt]);
    process.stdout.write(`${table([['NAME', 'ROLE', 'CREATED', 'UPDATED'], ...rows])}\n`);
  });
}
