import { postgresBackend, skipWithoutPostgres, sqliteBackend } from '../../test/helpers/backends.js';
import { describeAppAttestKeyStoreContract } from './contract/app-attest-key-store.contract.js';

describeAppAttestKeyStoreContract('SQLite', async () => {
  const backend = await sqliteBackend();
  return { store: backend.store.appAttestKeys, cleanup: backend.cleanup };
});

describeAppAttestKeyStoreContract(
  'PostgreSQL',
  async () => {
    const backend = await postgresBackend({ poolSize: 20 });
    return { store: backend.store.appAttestKeys, cleanup: backend.cleanup };
  },
  { skip: skipWithoutPostgres },
);
