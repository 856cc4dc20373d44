import type { Command } from 'commander';
import { addConfigOptions, configFromFlags, parsePort } from './options.js';

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('run the Keyward server (SQLite under ./data unless configured otherwise)')
    .option('-p, --port <port>', 'TCP port (KEYWARD_PORT, default 18013)', parsePort)
    .option('-H, --host <host>', 'interface to listen on (KEYWARD_HOST, default 127.0.0.1)')
    .option(
      '--trust-simulator-roots',
      "trust the simulators' published test roots (demos and tests only; logs a warning)",
    );
  addConfigOptions(serve).action(async (flags: Record<string, unknown>) => {
    const { config, unknownEnv } = configFromFlags(flags, {
      port: flags.port,
      host: flags.host,
      ...(flags.trustSimulatorRoots ? { trustSimulatorRoots: true } : {}),
    });
    // Loaded on use so other commands start fast.
    const [{ startServer, stopOnSignals }, { createLogger }] = await Promise.all([
      import('../http/server.js'),
      import('../logger.js'),
    ]);
    const logger = createLogger(config.logLevel);
    if (unknownEnv.length > 0)
      logger.warn({ variables: unknownEnv }, 'ignoring KEYWARD_* environment variables that name no option');
    const server = await startServer(config, logger);
    stopOnSignals(server, logger);
  });
}
