import { postgresBackend, skipWithoutPostgres, sqliteBackend } from '../../test/helpers/backends.js';
import { describeMdvmAccountStoreContract } from './contract/mdvm-account-store.contract.js';

describeMdvmAccountStoreContract('SQLite', async () => {
  const backend = await sqliteBackend();
  return { store: backend.store.mdvmAccounts, cleanup: backend.cleanup };
});

describeMdvmAccountStoreContract(
  'PostgreSQL',
  async () => {
    const backend = await postgresBackend({ poolSize: 20 });
    return { store: backend.store.mdvmAccounts, cleanup: backend.cleanup };
  },
  { skip: skipWithoutPostgres },
);
