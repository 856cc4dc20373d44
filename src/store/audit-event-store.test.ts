import { postgresBackend, skipWithoutPostgres, sqliteBackend, storeHarness } from '../../test/helpers/backends.js';
import { describeAuditEventStoreContract } from './contract/audit-event-store.contract.js';

describeAuditEventStoreContract(
  'SQLite',
  storeHarness(sqliteBackend, (store) => store.auditEvents),
);

describeAuditEventStoreContract(
  'PostgreSQL',
  storeHarness(postgresBackend, (store) => store.auditEvents),
  { skip: skipWithoutPostgres },
);
