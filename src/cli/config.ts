import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { redactConfig } from '../config/load.js';
import { OPTIONS_END, OPTIONS_START, optionsTable } from '../config/docs.js';
import { UsageError } from './usage-error.js';
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
    .option('--readme <file>', 'rewrite the table between the options markers of this Markdown file instead')
    .action((flags: { readme?: string }) => {
      if (!flags.readme) {
        process.stdout.write(optionsTable());
        return;
      }
      const text = readFileSync(flags.readme, 'utf8');
      const [start, end] = [text.indexOf(OPTIONS_START), text.indexOf(OPTIONS_END)];
      if (start < 0 || end < start) throw new UsageError(`${flags.readme} has no ${OPTIONS_START} … ${OPTIONS_END} block`);
      writeFileSync(flags.readme, `${text.slice(0, start + OPTIONS_START.length)}\n${optionsTable()}${text.slice(end)}`);
    });
}
