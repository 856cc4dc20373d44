import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeDsrBundleStoreContract } from './contract/dsr-bundle-store.contract.js';
import { describeDsrRegistrationStoreContract } from './contract/dsr-registration-store.contract.js';
import type { Store } from './store.js';

const registrations = (store: Store) => ({ registrations: store.dsrRegistrations, appAttestKeys: store.appAttestKeys });

describeDsrRegistrationStoreContract('SQLite', storeHarness(sqliteBackend, registrations));

describeDsrRegistrationStoreContract(
  'PostgreSQL',
  storeHarness(() => postgresBackend({ poolSize: 20 }), registrations),
  { skip: skipWithoutPostgres },
);

describeDsrBundleStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.dsrBundles),
);

describeDsrBundleStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.dsrBundles,
  ),
  { skip: skipWithoutPostgres },
);
