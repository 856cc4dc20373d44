import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { errorReference } from '../errors-docs.js';

export function registerErrors(program: Command): void {
  const errors = program.command('errors').description('inspect error codes');
  errors
    .command('docs')
    .description('print the error reference (every code by area, with its category, status and meaning) as Markdown')
    .option('--out <file>', 'write it to this file (docs/errors.md) instead')
    .action((flags: { out?: string }) => {
      if (flags.out) writeFileSync(flags.out, errorReference());
      else process.stdout.write(errorReference());
    });
}
