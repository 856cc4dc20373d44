import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeAppAttestKeyStoreContract } from './contract/app-attest-key-store.contract.js';

describeAppAttestKeyStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.appAttestKeys),
);

describeAppAttestKeyStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.appAttestKeys,
  ),
  { skip: skipWithoutPostgres },
);
