import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeDecisionEventStoreContract } from './contract/decision-event-store.contract.js';

describeDecisionEventStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.decisionEvents),
);

describeDecisionEventStoreContract(
  'PostgreSQL',
  storeHarness(postgresBackend, (store) => store.decisionEvents),
  { skip: skipWithoutPostgres },
);
