import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeMdvmAccountStoreContract } from './contract/mdvm-account-store.contract.js';

describeMdvmAccountStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.mdvmAccounts),
);

describeMdvmAccountStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.mdvmAccounts,
  ),
  { skip: skipWithoutPostgres },
);
