import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeConsoleSessionStoreContract } from './contract/console-session-store.contract.js';
import type { Store } from './store.js';

const pick = (store: Store) => ({ operators: store.operators, sessions: store.consoleSessions });

describeConsoleSessionStoreContract('SQLite', storeHarness(sqliteBackend, pick));

describeConsoleSessionStoreContract('PostgreSQL', storeHarness(postgresBackend, pick), { skip: skipWithoutPostgres });
