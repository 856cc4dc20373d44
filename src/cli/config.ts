import type { Command } from 'commander';
import { redactConfig } from '../config/load.js';
import { optionsTable } from '../config/docs.js';
import { addConfigOptions, configFromFlags } from './options.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('inspect configuration');
  addConfigOptions(config.command('check').description('validate the configuration and print it with secrets redacted')).action(
    (flags: Record<string, unknown>) => {
      const { config: loaded, unknownEnv } = configFromFlags(flags);
      process.stdout.write(`${JSON.stringify({ valid: true, unknownEnv, config: redactConfig(loaded) }, null, 2)}\n`);
    },
  );
  config
    .command('docs')
    .description('print every option with its env var, default and meaning as a Markdown table')
    .action(() => {
      process.stdout.write(optionsTable());
    });
}
