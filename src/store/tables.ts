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

export interface Tables {
  challenges: ChallengesTable;
  app_attest_keys: AppAttestKeysTable;
  binding_certificates: BindingCertificatesTable;
  mdvm_accounts: MdvmAccountsTable;
  mdvm_vulnerable_classes: MdvmVulnerableClassesTable;
  mdvm_leaked_keys: MdvmLeakedKeysTable;
}
