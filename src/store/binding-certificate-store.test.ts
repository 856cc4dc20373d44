import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeBindingCertificateStoreContract } from './contract/binding-certificate-store.contract.js';

describeBindingCertificateStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.bindingCertificates),
);

describeBindingCertificateStoreContract(
  'PostgreSQL',
  storeHarness(postgresBackend, (store) => store.bindingCertificates),
  { skip: skipWithoutPostgres },
);
