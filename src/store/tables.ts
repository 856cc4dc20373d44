import type { Generated } from 'kysely';

/** Kysely table types. Times are epoch milliseconds (numbers on both dialects). */
export interface ChallengesTable {
  /** base64url SHA-256 of the challenge bytes: the value itself is never stored. */
  id: string;
  purpose: string;
  subject: string | null;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** Attested App Attest keys and their assertion counters. */
export interface AppAttestKeysTable {
  /** base64 SHA-256 of the key point. */
  key_id: string;
  app_id: string;
  /** SubjectPublicKeyInfo DER, base64. */
  public_key: string;
  environment: string;
  counter: number;
  created_at: number;
  updated_at: number;
}

/** Every binding certificate the Warden endpoint issued, and its revocation. */
export interface BindingCertificatesTable {
  serial: string;
  policy: string;
  platform: string;
  subject: string;
  key_thumbprint: string;
  /** JSON of the attested facts that mattered. */
  summary: string;
  issued_at: number;
  not_after: number;
  revoked_at: number | null;
  revocation_reason: string | null;
}

/** MDVM wallet-instance accounts; revoked and deleted ones stay as tombstones. */
export interface MdvmAccountsTable {
  id: string;
  platform: string;
  auth_key_thumbprint: string;
  auth_public_key: string;
  /** JSON. */
  device_class: string;
  /** JSON. */
  attested: string;
  app_attest_key_id: string | null;
  counter: number;
  version: number;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
  revocation_reason: string | null;
}

export interface MdvmVulnerableClassesTable {
  id: string;
  platform: string;
  classification: string;
  /** JSON. */
  match: string;
  description: string;
  created_at: number;
}

export interface MdvmLeakedKeysTable {
  thumbprint: string;
  description: string;
  created_at: number;
}

/** WebAuthn user accounts: the user handle is what authenticators store (never the name). */
export interface WebAuthnUsersTable {
  /** base64url of 32 random bytes. */
  user_handle: string;
  user_name: string;
  display_name: string;
  created_at: number;
}

/** Users of registrations under way (options issued, result not yet verified), until their challenge expires. */
export interface WebAuthnPendingUsersTable {
  user_handle: string;
  user_name: string;
  display_name: string;
  expires_at: number;
}

/** Registered WebAuthn credentials; flags are 0/1 integers on both dialects. */
export interface WebAuthnCredentialsTable {
  /** base64url. */
  credential_id: string;
  user_handle: string;
  /** The COSE_Key bytes, base64. */
  public_key: string;
  alg: number;
  counter: number;
  /** JSON array of strings. */
  transports: string;
  aaguid: string;
  fmt: string;
  attestation_type: string;
  trust: string;
  /** JSON. */
  attestation: string;
  /** JSON. */
  metadata: string;
  user_verified: number;
  backup_eligible: number;
  backed_up: number;
  /** 0/1, or null when the client did not say (credProps). */
  discoverable: number | null;
  possibly_cloned_at: number | null;
  created_at: number;
  last_used_at: number | null;
}

/** Verified FIDO MDS BLOBs, the newest few, by their serial number. */
export interface FidoMetadataBlobsTable {
  no: number;
  source: string;
  /** YYYY-MM-DD. */
  next_update: string;
  jwt: string;
  entries: number;
  verified_at: number;
  stored_at: number;
}

/** DSR device registrations, by the device's mTLS key. */
export interface DsrRegistrationsTable {
  /** base64 SHA-256 of the device's mTLS key point. */
  sub: string;
  user_id: string;
  platform: string;
  certificate_serial: string;
  certificate_not_after: number;
  /** Android: the attestation key's SubjectPublicKeyInfo DER, base64. */
  attest_key_spki: string | null;
  /** iOS: the key id of its row in app_attest_keys. */
  app_attest_key_id: string | null;
  /** JSON. */
  facts: string;
  created_at: number;
  updated_at: number;
}

/** DSR policy bundles, one row per slot ('active', 'simulation'); a cleared slot keeps its version. */
export interface DsrBundlesTable {
  slot: string;
  version: number;
  kid: string;
  /** Compact JWS; null when cleared. */
  jws: string | null;
  stored_at: number;
}

/** mdoc persons (issue 12); name_folded is the name lower-cased by Keyward, for search. */
export interface MdocPersonsTable {
  id: string;
  name: string;
  name_folded: string;
  created_at: number;
}

/** mdoc documents; data is canonical CBOR (binary: Buffer when read). */
export interface MdocDocumentsTable {
  id: string;
  person_id: string;
  doc_type: string;
  data: Uint8Array;
  data_timestamp: number;
  /** 'active' | 'to_delete'. */
  status: string;
  created_at: number;
  updated_at: number;
}

/** Single-use provisioning codes for documents. */
export interface MdocProvisioningCodesTable {
  code: string;
  document_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

/** Credentials devices hold for documents, by the SHA-256 (hex) of the CredentialKey's SPKI. */
export interface MdocConfiguredDocumentsTable {
  credential_key_fingerprint: string;
  document_id: string;
  credential_key_chain: Uint8Array;
  proof_of_provisioning: Uint8Array;
  proof_of_provisioning_sha256: Uint8Array;
  data_timestamp: number;
  created_at: number;
  updated_at: number;
}

/** Auth keys Keyward endorsed for a configured document. */
export interface MdocEndorsedAuthKeysTable {
  credential_key_fingerprint: string;
  auth_key_fingerprint: string;
  certificate: Uint8Array;
  static_auth_data: Uint8Array;
  generated_at: number;
  expires_at: number;
}

/** Provisioning sessions under way (SQL backend; Redis keeps them as JSON values). */
export interface ProvisioningSessionsTable {
  id: string;
  step: string;
  /** JSON. */
  state: string;
  expires_at: number;
  version: number;
}

/** Operator console accounts (issue 13). */
export interface OperatorsTable {
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

/** Console sessions, by the SHA-256 (hex) of the cookie value; removed with their operator. */
export interface ConsoleSessionsTable {
  id_hash: string;
  operator: string;
  csrf_token: string;
  address: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** Failed-login counters ("user:<name>", "addr:<address>"). */
export interface LoginThrottlesTable {
  key: string;
  failures: number;
  last_failure_at: number;
  locked_until: number | null;
}

/** The decision log: every verification decision, append-only, purged by age. */
export interface DecisionEventsTable {
  id: Generated<number>;
  at: number;
  capability: string;
  operation: string;
  platform: string;
  outcome: string;
  category: string | null;
  code: string | null;
  subject: string | null;
  /** JSON. */
  summary: string;
  request_id: string | null;
}

/** Decisions per hour, capability, outcome and category ('' when accepted): the charts' rollup of decision_events. */
export interface DecisionCountsTable {
  hour: number;
  capability: string;
  outcome: string;
  category: string;
  count: number;
}

/** The audit trail of operator actions. */
export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  actor: string;
  actor_kind: string;
  action: string;
  target: string | null;
  outcome: string;
  address: string;
  /** JSON. */
  detail: string;
  request_id: string | null;
}

export interface Tables {
  challenges: ChallengesTable;
  app_attest_keys: AppAttestKeysTable;
  binding_certificates: BindingCertificatesTable;
  mdvm_accounts: MdvmAccountsTable;
  mdvm_vulnerable_classes: MdvmVulnerableClassesTable;
  mdvm_leaked_keys: MdvmLeakedKeysTable;
  webauthn_users: WebAuthnUsersTable;
  webauthn_pending_users: WebAuthnPendingUsersTable;
  webauthn_credentials: WebAuthnCredentialsTable;
  fido_metadata_blobs: FidoMetadataBlobsTable;
  dsr_registrations: DsrRegistrationsTable;
  dsr_bundles: DsrBundlesTable;
  mdoc_persons: MdocPersonsTable;
  mdoc_documents: MdocDocumentsTable;
  mdoc_provisioning_codes: MdocProvisioningCodesTable;
  mdoc_configured_documents: MdocConfiguredDocumentsTable;
  mdoc_endorsed_auth_keys: MdocEndorsedAuthKeysTable;
  provisioning_sessions: ProvisioningSessionsTable;
  operators: OperatorsTable;
  console_sessions: ConsoleSessionsTable;
  login_throttles: LoginThrottlesTable;
  decision_events: DecisionEventsTable;
  decision_counts: DecisionCountsTable;
  audit_events: AuditEventsTable;
}
