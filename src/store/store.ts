import type { AppAttestKeyStore } from './app-attest-key-store.js';
import type { BindingCertificateStore } from './binding-certificate-store.js';
import type { PurgeableChallengeStore } from './challenge-store.js';
import type {
  AuditEventStore,
  ConsoleSessionStore,
  DecisionEventStore,
  LoginThrottleStore,
  OperatorStore,
} from './console-store.js';
import { ensureSchema, openDatabase, pingDatabase, type Database, type DatabaseOptions } from './database.js';
import type { MdvmAccountStore, MdvmVulnerabilityStore } from './mdvm-store.js';
import type { DsrBundleStore, DsrRegistrationStore } from './dsr-store.js';
import type { MdocRecordStore, ProvisioningSessionStore } from './provisioning-store.js';
import { describeFailure, MigrationStepError, migrateToLatest, type MigrationReport } from './migrate.js';
import { SqlAppAttestKeyStore } from './sql/app-attest-key-store.js';
import { SqlAuditEventStore } from './sql/audit-event-store.js';
import { SqlBindingCertificateStore } from './sql/binding-certificate-store.js';
import { SqlChallengeStore } from './sql/challenge-store.js';
import { SqlConsoleSessionStore } from './sql/console-session-store.js';
import { SqlDecisionEventStore } from './sql/decision-event-store.js';
import { SqlDsrBundleStore } from './sql/dsr-bundle-store.js';
import { SqlDsrRegistrationStore } from './sql/dsr-registration-store.js';
import { SqlLoginThrottleStore } from './sql/login-throttle-store.js';
import { SqlMdocRecordStore } from './sql/mdoc-record-store.js';
import { SqlMdvmAccountStore } from './sql/mdvm-account-store.js';
import { SqlMdvmVulnerabilityStore } from './sql/mdvm-vulnerability-store.js';
import { SqlMetadataBlobStore } from './sql/metadata-blob-store.js';
import { SqlOperatorStore } from './sql/operator-store.js';
import { SqlProvisioningSessionStore } from './sql/provisioning-session-store.js';
import { kyselyRunner, type QueryRunner } from './sql/precompiled.js';
import { SqliteGroupCommit } from './sql/sqlite-group-commit.js';
import { SqlWebAuthnCredentialStore, SqlWebAuthnUserStore } from './sql/webauthn-credential-store.js';
import type { MetadataBlobStore, WebAuthnCredentialStore, WebAuthnUserStore } from './webauthn-store.js';

/** Everything Keyward keeps in its SQL database, whichever dialect holds it. */
export interface Store {
  readonly location: string;
  readonly challenges: PurgeableChallengeStore;
  readonly appAttestKeys: AppAttestKeyStore;
  readonly bindingCertificates: BindingCertificateStore;
  readonly mdvmAccounts: MdvmAccountStore;
  readonly mdvmVulnerabilities: MdvmVulnerabilityStore;
  readonly webauthnUsers: WebAuthnUserStore;
  readonly webauthnCredentials: WebAuthnCredentialStore;
  /** Verified FIDO metadata BLOBs. */
  readonly metadataBlobs: MetadataBlobStore;
  /** DSR device registrations (with their App Attest key rows) and policy bundles. */
  readonly dsrRegistrations: DsrRegistrationStore;
  readonly dsrBundles: DsrBundleStore;
  /** The mdoc issuer's system of record (issue 12). */
  readonly mdocRecords: MdocRecordStore;
  /** Provisioning sessions kept in the SQL database (a Redis store replaces it when Redis is configured). */
  readonly provisioningSessions: ProvisioningSessionStore;
  /** The operator console (issue 13): accounts, sessions, failed-login counters. */
  readonly operators: OperatorStore;
  readonly consoleSessions: ConsoleSessionStore;
  readonly loginThrottles: LoginThrottleStore;
  /** The decision log (written in batches off the hot path) and the audit trail of operator actions. */
  readonly decisionEvents: DecisionEventStore;
  readonly auditEvents: AuditEventStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions extends DatabaseOptions {
  /** Apply pending migrations on open. */
  migrate?: boolean;
}

/**
 * Opens the database with its schema created and (unless `migrate` is false) migrated; shared by
 * openStore and `keyward db migrate`. When that fails the database is closed again, so no pool leaks.
 */
export async function openMigratedDatabase(options: StoreOptions): Promise<{ database: Database } & MigrationReport> {
  const database = openDatabase(options);
  try {
    if (options.migrate ?? true) await atStep(database, 'connecting', () => pingDatabase(database));
    await atStep(database, `creating schema ${options.schema}`, () => ensureSchema(database, options.schema));
    const { applied } =
      (options.migrate ?? true)
        ? await atStep(database, 'migrating', () => migrateToLatest(database))
        : { applied: [] };
    return { database, applied };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Runs one step of opening the database; a failure names the database (never its credentials) and the step. */
async function atStep<T>(database: Database, step: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof MigrationStepError ? error.message : `${step} failed: ${describeFailure(error)}`;
    throw new Error(`database ${database.location}: ${message}`, { cause: error });
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const { database } = await openMigratedDatabase(options);
  // SQLite's hot statements are group-committed; PostgreSQL has real concurrency through its pool.
  const hotPathRunner: QueryRunner = database.sqlite
    ? new SqliteGroupCommit(database.db, database.sqlite)
    : kyselyRunner(database.db);
  return {
    location: database.location,
    challenges: new SqlChallengeStore(database.db, hotPathRunner),
    appAttestKeys: new SqlAppAttestKeyStore(database.db, hotPathRunner),
    bindingCertificates: new SqlBindingCertificateStore(database.db, hotPathRunner),
    mdvmAccounts: new SqlMdvmAccountStore(database.db, hotPathRunner),
    mdvmVulnerabilities: new SqlMdvmVulnerabilityStore(database.db, hotPathRunner),
    webauthnUsers: new SqlWebAuthnUserStore(database.db, hotPathRunner),
    webauthnCredentials: new SqlWebAuthnCredentialStore(database.db, hotPathRunner, database.dialect),
    metadataBlobs: new SqlMetadataBlobStore(database.db, database.dialect),
    dsrRegistrations: new SqlDsrRegistrationStore(database.db, database.dialect),
    dsrBundles: new SqlDsrBundleStore(database.db),
    mdocRecords: new SqlMdocRecordStore(database.db, database.dialect),
    provisioningSessions: new SqlProvisioningSessionStore(database.db),
    operators: new SqlOperatorStore(database.db, database.dialect),
    consoleSessions: new SqlConsoleSessionStore(database.db),
    loginThrottles: new SqlLoginThrottleStore(database.db),
    decisionEvents: new SqlDecisionEventStore(database.db),
    auditEvents: new SqlAuditEventStore(database.db),
    ping: () => pingDatabase(database),
    close: () => database.close(),
  };
}
