/** Device Security Rating (DSR): registered devices and the policy bundles. */
import type { AppAttestKeyRecord } from './app-attest-key-store.js';

/** One registered device, named by its mTLS key. */
export interface DsrRegistration {
  /** base64 SHA-256 of the device's mTLS key point (the device token's sub). */
  sub: string;
  userId: string;
  platform: 'android' | 'ios';
  /** The serial of the client certificate issued at registration. */
  certificateSerial: string;
  certificateNotAfter: number;
  /** Android: the attestation key's SubjectPublicKeyInfo DER, base64. */
  attestKeySpki?: string;
  /** iOS: the key id of the registration's row in the App Attest key store. */
  appAttestKeyId?: string;
  /** Attested facts worth keeping (JSON-serializable). */
  facts: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export type RegisterOutcome = 'created' | 'replaced' | 'conflict';

export interface DsrRegistrationStore {
  /**
   * Stores a registration. Atomic, in one transaction: when `appAttestKey` is given it is inserted
   * into the App Attest key store's table in the same transaction (an existing row with that key id
   * makes the whole call return 'conflict' and write nothing); its key id must then be the
   * registration's `appAttestKeyId`. A registration with the same sub and the same userId is
   * replaced ('replaced', createdAt kept; the replaced registration's App Attest key row, if it had
   * one, is deleted with it); with another userId nothing is written ('conflict'). Concurrent calls
   * for one sub: exactly one wins per outcome rules, never a partial write.
   */
  register(registration: DsrRegistration, appAttestKey?: AppAttestKeyRecord): Promise<RegisterOutcome>;
  bySub(sub: string): Promise<DsrRegistration | undefined>;
  /** The user's registrations, oldest first (then by sub). */
  byUser(userId: string): Promise<DsrRegistration[]>;
  /** Deletes one registration (and its App Attest key row if it has one) atomically; true if it existed. */
  delete(sub: string): Promise<boolean>;
  /** Deletes all of a user's registrations (and their App Attest key rows) atomically; returns how many. */
  deleteByUser(userId: string): Promise<number>;
  /**
   * For the operator API/console: newest first (then by sub), paged; `total` counts every
   * registration matching the filters, regardless of limit and offset.
   */
  list(options: {
    limit: number;
    offset?: number;
    userId?: string;
    platform?: 'android' | 'ios';
  }): Promise<{ items: DsrRegistration[]; total: number }>;
}

export type BundleSlot = 'active' | 'simulation';

export interface StoredBundle {
  slot: BundleSlot;
  version: number;
  /** RFC 7638 thumbprint of the key that signed the bundle. */
  kid: string;
  /** The compact JWS as pushed. */
  jws: string;
  storedAt: number;
}

export interface DsrBundleStore {
  /**
   * Compare-and-set in one statement: stores the bundle only if its version is strictly greater
   * than the slot's current version (cleared slots keep their version). Returns true if stored.
   * Concurrent puts: the highest version ends up stored, no lower one overwrites a higher one.
   */
  put(bundle: StoredBundle): Promise<boolean>;
  /** The slot's bundle, undefined when none or cleared. */
  get(slot: BundleSlot): Promise<StoredBundle | undefined>;
  /** Clears the slot (jws null) keeping its version (and kid, storedAt); true if there was a bundle. */
  clear(slot: BundleSlot): Promise<boolean>;
}
