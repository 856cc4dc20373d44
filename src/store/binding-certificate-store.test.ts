import { postgresBackend, skipWithoutPostgres, sqliteBackend } from '../../test/helpers/backends.js';
import { describeBindingCertificateStoreContract } from './contract/binding-certificate-store.contract.js';

describeBindingCertificateStoreContract('SQLite', async () => {
  const backend = await sqliteBackend();
  return { store: backend.store.bindingCertificates, cleanup: backend.cleanup };
});

describeBindingCertificateStoreContract(
  'PostgreSQL',
  async () => {
    const backend = await postgresBackend();
    return { store: backend.store.bindingCertificates, cleanup: backend.cleanup };
  },
  { skip: skipWithoutPostgres },
);
