/** WebAuthn relying party (docs/protocols/webauthn.md): users, their credentials, and the verified FIDO metadata BLOBs. */
import type { AttestationTrust, AttestationType } from '../attestation/webauthn/types.js';

/** One WebAuthn user account. */
export interface WebAuthnUser {
  /** WebAuthn user.id: base64url of 32 random bytes; what a discoverable credential returns as userHandle. */
  userHandle: string;
  userName: string;
  displayName: string;
  createdAt: number;
}

/** The user of a registration under way: no user row exists for it yet. */
export interface PendingWebAuthnUser {
  userHandle: string;
  userName: string;
  displayName: string;
  expiresAt: number;
}

export interface WebAuthnUserStore {
  /**
   * The user named `userName`, created (with a fresh random user handle, `displayName` and
   * `createdAt` = `at`) when there is none. Atomic: of concurrent calls for one name exactly one
   * creates, and all return the same user handle. An existing user is returned unchanged (its
   * display name is not updated); `created` says which happened.
   */
  ensure(userName: string, displayName: string, at: number): Promise<WebAuthnUser & { created: boolean }>;
  /**
   * As `ensure`, but a user it creates gets `userHandle` (the handle a registration's options were
   * issued with). Atomic on the name: of concurrent calls for one name exactly one creates; the
   * others return that user, whose handle may then differ from theirs (the caller refuses those).
   */
  ensureWithHandle(
    userHandle: string,
    userName: string,
    displayName: string,
    at: number,
  ): Promise<WebAuthnUser & { created: boolean }>;
  /**
   * Remembers the user of a registration under way (options issued for a user name that has no
   * user yet) until `expiresAt`; the user row is created only when its result verifies. A pending
   * user with this handle keeps its name and display name and is kept until the later expiry. Also
   * forgets pending users that expired before `now`.
   */
  reservePending(pending: PendingWebAuthnUser, now: number): Promise<void>;
  /** The pending user with this handle, unless it expired before `now`. */
  pending(userHandle: string, now: number): Promise<PendingWebAuthnUser | undefined>;
  /** A pending user with this name that has not expired before `now` (the latest to expire). */
  pendingByName(userName: string, now: number): Promise<PendingWebAuthnUser | undefined>;
  byName(userName: string): Promise<WebAuthnUser | undefined>;
  byHandle(userHandle: string): Promise<WebAuthnUser | undefined>;
}

/** How the attestation was judged at registration (JSON in the record). */
export interface CredentialAttestation {
  /** E.g. `verified`, `untrusted` (monitor mode), `skipped` (attestation mode disabled). */
  outcome: string;
  /** The anchor the trust path ended in, when trusted. */
  anchor?: string;
  /** Leaf-first summary of the trust path (e.g. each certificate's subject). */
  trustPath: string[];
  warnings: string[];
  /** Format-specific facts worth keeping (JSON-serializable). */
  facts?: Record<string, unknown>;
}

/** What the authenticator's metadata said at registration (JSON in the record). */
export interface CredentialMetadata {
  found: boolean;
  description?: string;
  /** Status reports in effect at registration, latest last. */
  statuses: string[];
  /** `mds` (with its BLOB no) or `local` (a file name). */
  source?: string;
}

/** One registered credential. */
export interface WebAuthnCredential {
  /** base64url of the credential id bytes. */
  credentialId: string;
  userHandle: string;
  /** The COSE_Key bytes as the authenticator sent them. */
  publicKey: Uint8Array;
  /** COSE algorithm identifier. */
  alg: number;
  /** The last accepted signature counter. */
  counter: number;
  transports: string[];
  /** Dashed lower-case UUID; all zeros for U2F and none. */
  aaguid: string;
  fmt: string;
  attestationType: AttestationType;
  trust: AttestationTrust;
  attestation: CredentialAttestation;
  metadata: CredentialMetadata;
  userVerified: boolean;
  backupEligible: boolean;
  /** As of the last accepted use. */
  backedUp: boolean;
  /** Client-side discoverable (resident) credential, when the client reported it (credProps). */
  discoverable?: boolean;
  /** Set by a counter regression: when it was first seen. */
  possiblyClonedAt?: number;
  createdAt: number;
  lastUsedAt?: number;
}

export type NewWebAuthnCredential = Omit<WebAuthnCredential, 'possiblyClonedAt' | 'lastUsedAt'>;

/** An accepted assertion, applied only if the stored counter is still `expectedCounter`. */
export interface CredentialUse {
  expectedCounter: number;
  counter: number;
  at: number;
  backedUp: boolean;
}

export interface CredentialListQuery {
  offset: number;
  limit: number;
  userName?: string;
  aaguid?: string;
}

export interface CredentialListing {
  /** Newest first (ties: credential id descending), each with its user's name. */
  credentials: (WebAuthnCredential & { userName: string })[];
  /** How many match the filters, regardless of offset and limit. */
  total: number;
}

export interface WebAuthnCredentialStore {
  /**
   * Stores a new credential. A credential id that is already registered (to anyone) is a
   * KeywardError CONTENT CREDENTIAL_ALREADY_REGISTERED (409) and changes nothing. The user must exist.
   */
  create(credential: NewWebAuthnCredential): Promise<void>;
  /**
   * Stores the credential only if its user has no credential yet, atomically: of concurrent calls
   * for one user exactly one stores. Otherwise a KeywardError TRUST ADDITIONAL_CREDENTIAL_REFUSED and
   * nothing changes (a registered credential id is CREDENTIAL_ALREADY_REGISTERED as for `create`).
   * What fido2.allowAdditionalCredentials off uses.
   */
  createFirst(credential: NewWebAuthnCredential): Promise<void>;
  get(credentialId: string): Promise<WebAuthnCredential | undefined>;
  /** The user's credentials, oldest first. */
  listByUser(userHandle: string): Promise<WebAuthnCredential[]>;
  list(query: CredentialListQuery): Promise<CredentialListing>;
  /**
   * One compare-and-set: sets counter, last use and backup state only if the stored counter is
   * still `expectedCounter`. False when another use changed it meanwhile (or the credential is gone).
   */
  recordUse(credentialId: string, use: CredentialUse): Promise<boolean>;
  /** Marks the credential possibly cloned (keeping the first time seen); false if it does not exist. */
  flagPossiblyCloned(credentialId: string, at: number): Promise<boolean>;
  /** True if it existed. */
  delete(credentialId: string): Promise<boolean>;
}

/** One verified FIDO MDS BLOB as stored. */
export interface StoredMetadataBlob {
  /** The BLOB's serial number. */
  no: number;
  /** The URL it was downloaded from, or the file it was read from. */
  source: string;
  /** YYYY-MM-DD. */
  nextUpdate: string;
  /** The BLOB as received (a JWS in compact form). */
  jwt: string;
  /** How many entries it holds. */
  entries: number;
  /** The verification time. */
  verifiedAt: number;
  storedAt: number;
}

export type MetadataBlobSummary = Omit<StoredMetadataBlob, 'jwt'>;

/** How many verified BLOBs are kept (the newest). */
export const KEPT_METADATA_BLOBS = 3;

/** Verified metadata BLOBs, shared by every instance. */
export interface MetadataBlobStore {
  /** The BLOB with the highest no. */
  latest(): Promise<StoredMetadataBlob | undefined>;
  /** The kept BLOBs without their JWTs, highest no first (a cheap check of what is stored). */
  history(): Promise<MetadataBlobSummary[]>;
  /**
   * Stores the BLOB only if its no is greater than every stored one (atomically: of concurrent
   * saves, each one that returns true was the highest when it committed), and removes all but the
   * newest KEPT_METADATA_BLOBS in the same transaction. False (nothing written) otherwise.
   */
  save(blob: StoredMetadataBlob): Promise<boolean>;
}
