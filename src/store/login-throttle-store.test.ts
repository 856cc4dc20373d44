import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeLoginThrottleStoreContract } from './contract/login-throttle-store.contract.js';

describeLoginThrottleStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.loginThrottles),
);

describeLoginThrottleStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.loginThrottles,
  ),
  { skip: skipWithoutPostgres },
);
