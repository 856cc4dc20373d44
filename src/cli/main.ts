#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { KEYWARD_VERSION } from '../version.js';
import { registerCa } from './ca.js';
import { registerCertificates } from './certificates.js';
import { registerConfig } from './config.js';
import { registerDb } from './db.js';
import { registerDsr } from './dsr.js';
import { registerErrors } from './errors.js';
import { registerMds } from './mds.js';
import { registerMdoc } from './mdoc.js';
import { registerMdvm } from './mdvm.js';
import { registerOperators } from './operators.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { UsageError } from './usage-error.js';
import { registerVerify } from './verify.js';

/** Exit codes: 0 success, 1 failure or rejection, 2 usage or configuration error. */
const EXIT_USAGE = 2;

const program = new Command('keyward')
  .description('Keyward device-trust server')
  .version(KEYWARD_VERSION)
  .exitOverride()
  // -V/--version is the program's own: after a subcommand, --version is that command's option (dsr bundle sign --version <n>).
  .enablePositionalOptions()
  .configureOutput({ outputError: (text, write) => write(text) });
registerServe(program);
registerDb(program);
registerConfig(program);
registerErrors(program);
registerVerify(program);
registerCa(program);
registerCertificates(program);
registerMdvm(program);
registerMdoc(program);
registerMds(program);
registerDsr(program);
registerOperators(program);
registerSimulate(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`keyward: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`keyward: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
}
