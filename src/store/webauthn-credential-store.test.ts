import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import type { Store } from './store.js';
import { describeWebAuthnStoreContract } from './contract/webauthn-credential-store.contract.js';

const pick = (store: Store) => ({ users: store.webauthnUsers, credentials: store.webauthnCredentials });

describeWebAuthnStoreContract('SQLite', storeHarness(sqliteBackend, pick));

describeWebAuthnStoreContract(
  'PostgreSQL',
  storeHarness(() => postgresBackend({ poolSize: 20 }), pick),
  { skip: skipWithoutPostgres },
);
