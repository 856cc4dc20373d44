import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeOperatorStoreContract } from './contract/operator-store.contract.js';
import type { Store } from './store.js';

const pick = (store: Store) => ({ operators: store.operators, sessions: store.consoleSessions });

describeOperatorStoreContract('SQLite', storeHarness(sqliteBackend, pick));

describeOperatorStoreContract('PostgreSQL', storeHarness(postgresBackend, pick), { skip: skipWithoutPostgres });
