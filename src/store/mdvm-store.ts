/** MDVM (docs/protocols/mdvm.md): wallet-instance accounts, vulnerable device classes and leaked attestation keys. */
import type { RevokeOutcome } from './binding-certificate-store.js';

export type MdvmPlatform = 'android' | 'ios';

/** One registered wallet instance. */
export interface MdvmAccount {
  /** mdvm_wi_id: a random UUID. */
  id: string;
  platform: MdvmPlatform;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the auth key: one account per key, ever. */
  authKeyThumbprint: string;
  /** wi_mdvm_auth_pubk: SubjectPublicKeyInfo DER, base64. */
  authPublicKey: string;
  /** wi_device_class as the wallet sent it (string values). */
  deviceClass: Record<string, string>;
  /** The attested facts later checks compare against (OS and patch level, app version, device ids, chain key thumbprints, …). */
  attested: Record<string, unknown>;
  /** iOS: the App Attest key id (base64), unique across accounts. */
  appAttestKeyId?: string;
  /** iOS: the last accepted App Attest assertion counter; 0 on Android. */
  counter: number;
  /** Optimistic-concurrency version: every update is a compare-and-set on it. */
  version: number;
  createdAt: number;
  updatedAt: number;
  revokedAt?: number;
  revocationReason?: string;
}

export type NewMdvmAccount = Omit<MdvmAccount, 'version' | 'updatedAt' | 'revokedAt' | 'revocationReason'>;

/** What a renewal replaces. */
export interface MdvmAccountUpdate {
  deviceClass: Record<string, string>;
  attested: Record<string, unknown>;
  counter: number;
  at: number;
}

export type CreateOutcome = 'created' | 'key-registered' | 'app-attest-key-registered';
export type UpdateOutcome = 'updated' | 'conflict' | 'revoked' | 'unknown';
/** Revoking and deleting an account end like revoking a certificate. */
export type RevokeAccountOutcome = RevokeOutcome;

export interface MdvmRevocation {
  id: string;
  revokedAt: number;
  reason: string;
}

export interface MdvmAccountStore {
  /** Inserts the account unless its auth key (or App Attest key id) already has one — active, revoked or deleted. */
  create(account: NewMdvmAccount): Promise<CreateOutcome>;
  find(id: string): Promise<MdvmAccount | undefined>;
  /**
   * One compare-and-set: applies the update only if the account is still at `expectedVersion` and
   * not revoked, and bumps the version. 'conflict' when another update won in between.
   */
  update(id: string, expectedVersion: number, update: MdvmAccountUpdate): Promise<UpdateOutcome>;
  revoke(id: string, reason: string, at: number): Promise<RevokeAccountOutcome>;
  /**
   * Deletion keeps a tombstone: the account is revoked (reason "deleted") and its device data
   * erased, so it stays on the revocation list and its key can never register again.
   */
  delete(id: string, at: number): Promise<RevokeAccountOutcome>;
  /** Revocations at or after `since`, oldest first, at most `limit`. */
  revokedSince(since: number, limit: number): Promise<MdvmRevocation[]>;
  /** Non-revoked accounts with id greater than `after` (paging by id), at most `limit`, ordered by id. */
  listActive(after: string, limit: number): Promise<MdvmAccount[]>;
  /** The console's listing, newest created first; `search` is an id prefix; `total` counts every match. */
  page(query: {
    limit: number;
    offset?: number;
    search?: string;
    platform?: MdvmPlatform;
    revoked?: boolean;
  }): Promise<{ items: MdvmAccount[]; total: number }>;
}

export type VulnerabilityClassification = 'fixable' | 'unfixable';

/** Android: matched on model and/or product, optionally within a patch-level range. iOS: on model, optionally within an OS version range. */
export interface VulnerableDeviceClass {
  /** Operator's identifier, e.g. "DCVDB-2026-015". */
  id: string;
  platform: MdvmPlatform;
  classification: VulnerabilityClassification;
  /** Android: models, products, patchLevelFrom/To ("YYYY-MM", inclusive). iOS: models, versionFrom/To (inclusive). */
  match: Record<string, unknown>;
  description: string;
  createdAt: number;
}

export interface LeakedKey {
  /** SHA-256 of the SubjectPublicKeyInfo DER of a compromised attestation key, lowercase hex. */
  thumbprint: string;
  description: string;
  createdAt: number;
}

export interface MdvmVulnerabilityStore {
  /** False when a class with this id exists. */
  addClass(deviceClass: VulnerableDeviceClass): Promise<boolean>;
  removeClass(id: string): Promise<boolean>;
  listClasses(platform?: MdvmPlatform): Promise<VulnerableDeviceClass[]>;
  /** False when the key is already listed. */
  addLeakedKey(key: LeakedKey): Promise<boolean>;
  removeLeakedKey(thumbprint: string): Promise<boolean>;
  listLeakedKeys(): Promise<LeakedKey[]>;
  /** Which of these thumbprints are listed. */
  leakedAmong(thumbprints: readonly string[]): Promise<string[]>;
}
