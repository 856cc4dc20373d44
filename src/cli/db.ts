import type { Command } from 'commander';
import { resolveDatabaseUrl } from '../config/derived.js';
import { addConfigOptions, configFromFlags } from './options.js';

export function registerDb(program: Command): void {
  const db = program.command('db').description('database administration');
  addConfigOptions(db.command('migrate').description('apply pending migrations to the configured database')).action(
    async (flags: Record<string, unknown>) => {
      const { config } = configFromFlags(flags);
      const { openMigratedDatabase } = await import('../store/store.js');
      const { database, applied } = await openMigratedDatabase({
        url: resolveDatabaseUrl(config),
        schema: config.databaseSchema,
        poolSize: 1,
        sqliteSynchronous: config.sqliteSynchronous,
      });
      try {
        process.stdout.write(
          `${JSON.stringify({ database: database.location, applied, status: applied.length ? 'migrated' : 'up to date' })}\n`,
        );
      } finally {
        await database.close();
      }
    },
  );
}
