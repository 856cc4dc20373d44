import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { redactConfig } from '../config/load.js';
import { OPTIONS_END, OPTIONS_START, optionsTable } from '../config/docs.js';
import type { KeywardConfig } from '../config/schema.js';
import { UsageError } from './usage-error.js';
import { addConfigOptions, configFromFlags } from './options.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('inspect configuration');
  addConfigOptions(
    config
      .command('check')
      .description(
        'validate the configuration as serve does (key files, trust anchors, policies) without connecting or listening, and print it with secrets redacted',
      ),
  ).action(async (flags: Record<string, unknown>) => {
    const { config: loaded, unknownEnv } = configFromFlags(flags);
    await buildAsServeWould(loaded);
    process.stdout.write(`${JSON.stringify({ valid: true, unknownEnv, config: redactConfig(loaded) }, null, 2)}\n`);
  });
  config
    .command('docs')
    .description('print every option with its env var, default and meaning as a Markdown table')
    .option(
      '--file <file>',
      'rewrite the table between the options markers of this Markdown file (docs/configuration.md) instead',
    )
    .action((flags: { file?: string }) => {
      if (!flags.file) {
        process.stdout.write(optionsTable());
        return;
      }
      const text = readFileSync(flags.file, 'utf8');
      const [start, end] = [text.indexOf(OPTIONS_START), text.indexOf(OPTIONS_END)];
      if (start < 0 || end < start)
        throw new UsageError(`${flags.file} has no ${OPTIONS_START} … ${OPTIONS_END} block`);
      writeFileSync(flags.file, `${text.slice(0, start + OPTIONS_START.length)}\n${optionsTable()}${text.slice(end)}`);
    });
}

/**
 * Builds what `serve` builds from the configuration — keys, verifiers, policies, services and the
 * HTTP application — and closes it again without listening, so `config check` refuses exactly
 * what `serve` refuses. It neither connects to the configured database or Redis nor writes to
 * dataDir: the store is a scratch SQLite file, and development keys are read from a copy of
 * <dataDir>/keys (missing ones are generated into the copy, as serve would generate them).
 */
async function buildAsServeWould(config: KeywardConfig): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'keyward-config-check-'));
  try {
    const keys = join(config.dataDir, 'keys');
    if (existsSync(keys)) cpSync(keys, join(scratch, 'keys'), { recursive: true });
    const offline: KeywardConfig = {
      ...config,
      dataDir: scratch,
      databaseUrl: `sqlite:${join(scratch, 'check.db')}`,
      databaseSchema: '',
      redisUrl: '',
      migrateOnStart: true,
    };
    const [{ createServices }, { buildApp }, { createLogger }] = await Promise.all([
      import('../services.js'),
      import('../http/app.js'),
      import('../logger.js'),
    ]);
    const services = await createServices(offline, createLogger('silent'));
    try {
      const app = await buildApp(services);
      await app.ready();
      await app.close();
    } finally {
      await services.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
