import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeMetadataBlobStoreContract } from './contract/webauthn-metadata-blob-store.contract.js';

describeMetadataBlobStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.metadataBlobs),
);

describeMetadataBlobStoreContract(
  'PostgreSQL',
  storeHarness(
    () => postgresBackend({ poolSize: 20 }),
    (store) => store.metadataBlobs,
  ),
  { skip: skipWithoutPostgres },
);
