import { InvalidArgumentError, Option, type Command } from 'commander';
import { resolveDatabaseUrl } from '../config/derived.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { KeywardConfig } from '../config/schema.js';

/** Flags shared by every command that reads configuration; each maps onto an option path. */
const CONFIG_FLAGS: { flag: string; path: string; description: string; parse?: (value: string) => unknown }[] = [
  {
    flag: '--data-dir <dir>',
    path: 'dataDir',
    description: 'directory for SQLite and development keys (KEYWARD_DATA_DIR)',
  },
  {
    flag: '--database-url <url>',
    path: 'databaseUrl',
    description: 'postgres://… or sqlite:<path> (KEYWARD_DATABASE_URL)',
  },
  {
    flag: '--database-schema <name>',
    path: 'databaseSchema',
    description: 'PostgreSQL schema (KEYWARD_DATABASE_SCHEMA)',
  },
  { flag: '--redis-url <url>', path: 'redisUrl', description: 'redis://… for challenges (KEYWARD_REDIS_URL)' },
  {
    flag: '--log-level <level>',
    path: 'logLevel',
    description: 'fatal|error|warn|info|debug|trace|silent (KEYWARD_LOG_LEVEL)',
  },
];

export function addConfigOptions(command: Command): Command {
  command.option('-c, --config <file>', 'YAML or JSON configuration file');
  for (const { flag, description } of CONFIG_FLAGS) command.addOption(new Option(flag, description));
  return command;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('must be a port number 0–65535');
  return port;
}

const camel = (flag: string) =>
  flag
    .replace(/^--/, '')
    .split(' ')[0]!
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Defaults < --config file < KEYWARD_* env < flags. Throws ConfigError naming the bad option. */
export function configFromFlags(
  flags: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): { config: KeywardConfig; unknownEnv: string[] } {
  const mapped: Record<string, unknown> = { ...extra };
  for (const { flag, path } of CONFIG_FLAGS) {
    const value = flags[camel(flag)];
    if (value !== undefined) mapped[path] = value;
  }
  return loadConfig({ file: flags.config as string | undefined, env: process.env, flags: mapped });
}

/** Opens the configured database (one connection; migrating when migrateOnStart says so), runs `use` on it and closes it. */
export async function withConfiguredStore<T>(
  config: KeywardConfig,
  use: (store: import('../store/store.js').Store) => Promise<T>,
): Promise<T> {
  const { openStore } = await import('../store/store.js');
  const store = await openStore({
    url: resolveDatabaseUrl(config),
    schema: config.databaseSchema,
    poolSize: 1,
    sqliteSynchronous: config.sqliteSynchronous,
    migrate: config.migrateOnStart,
  });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

export { ConfigError };
