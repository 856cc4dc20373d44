/** An attested App Attest key, remembered so its assertions can be verified. */
export interface AppAttestKeyRecord {
  /** base64 SHA-256 of the key point, as the app names the key. */
  keyId: string;
  appId: string;
  /** SubjectPublicKeyInfo DER, base64. */
  publicKey: string;
  environment: string;
  /** The counter of the last accepted assertion; 0 after attestation. */
  counter: number;
  createdAt: number;
  /** When the counter last moved (or the key was stored). */
  updatedAt: number;
}

/**
 * App Attest keys by key id. `advanceCounter` is one atomic compare-and-set: of any number of
 * concurrent calls carrying the same counter exactly one succeeds, and a counter never moves
 * backwards or stays put.
 */
export interface AppAttestKeyStore {
  /** Stores a newly attested key; false (and nothing changes) when the key id is already stored. */
  insert(record: AppAttestKeyRecord): Promise<boolean>;
  find(keyId: string): Promise<AppAttestKeyRecord | undefined>;
  /** Sets the counter to `counter` if that is greater than the stored one; true if it did. */
  advanceCounter(keyId: string, counter: number, at: number): Promise<boolean>;
}
