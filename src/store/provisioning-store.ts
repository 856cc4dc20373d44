/**
 * The mdoc issuer's system of record (PROTOCOLS.md §7, issue 12): persons, their documents,
 * provisioning codes, the credentials devices hold for them (configured documents), the
 * authentication keys Keyward endorsed, and the provisioning sessions under way. Times are epoch
 * milliseconds from the caller's clock. Byte fields hold exact bytes (CBOR, DER) as given.
 */

export interface MdocPerson {
  /** Random UUID. */
  id: string;
  /** Display name, e.g. "Erika Mustermann". */
  name: string;
  createdAt: number;
}

export type MdocDocumentStatus = 'active' | 'to_delete';

export interface MdocDocument {
  /** Random UUID. */
  id: string;
  personId: string;
  docType: string;
  /**
   * The document's data as canonical CBOR of {"accessControlProfiles": [...], "nameSpaces": {ns:
   * [{"name", "value", "accessControlProfiles"}]}} — the DataToProvisionMessage shape, so values
   * keep their CBOR types (tags 0 and 1004, byte strings).
   */
  data: Uint8Array;
  /** When the data last changed: a credential provisioned before it answers `update`. */
  dataTimestamp: number;
  /** to_delete: UpdateCredential answers `delete`. */
  status: MdocDocumentStatus;
  createdAt: number;
  updatedAt: number;
}

export interface ProvisioningCode {
  code: string;
  documentId: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
  revokedAt?: number;
}

export type CodeState = 'usable' | 'unknown' | 'used' | 'expired' | 'revoked';

/** A credential a device holds for a document (the reference's configured_documents). */
export interface ConfiguredDocument {
  /** SHA-256 (hex) of the CredentialKey's SubjectPublicKeyInfo: how later flows find it. */
  credentialKeyFingerprint: string;
  documentId: string;
  /** The CredentialKey's certificate chain, concatenated DER, leaf first, as received. */
  credentialKeyChain: Uint8Array;
  /** The ProofOfProvisioning COSE_Sign1 as received, and its payload's SHA-256 (ProofOfBinding). */
  proofOfProvisioning: Uint8Array;
  proofOfProvisioningSha256: Uint8Array;
  /** The document's dataTimestamp this credential was (last) provisioned with. */
  dataTimestamp: number;
  createdAt: number;
  updatedAt: number;
}

export interface EndorsedAuthKey {
  credentialKeyFingerprint: string;
  /** SHA-256 (hex) of the auth key's SubjectPublicKeyInfo. */
  authKeyFingerprint: string;
  /** The auth-key certificate (DER) as received. */
  certificate: Uint8Array;
  /** The StaticAuthData returned for it (CBOR). */
  staticAuthData: Uint8Array;
  generatedAt: number;
  expiresAt: number;
}

export interface MdocRecordStore {
  addPerson(person: MdocPerson): Promise<void>;
  person(id: string): Promise<MdocPerson | undefined>;
  /** Newest first; `search` matches the name case-insensitively as a substring. */
  persons(options: {
    limit: number;
    offset?: number;
    search?: string;
  }): Promise<{ items: MdocPerson[]; total: number }>;

  addDocument(document: MdocDocument): Promise<void>;
  document(id: string): Promise<MdocDocument | undefined>;
  /** Newest first; filter by person. */
  documents(options: {
    limit: number;
    offset?: number;
    personId?: string;
  }): Promise<{ items: MdocDocument[]; total: number }>;
  /** New data (and dataTimestamp = `at`); false if there is no such document. */
  updateDocumentData(id: string, data: Uint8Array, at: number): Promise<boolean>;
  /** Marks for deletion (status to_delete); false if there is no such document. */
  markDocumentForDeletion(id: string, at: number): Promise<boolean>;

  addCode(code: ProvisioningCode): Promise<boolean>; // false: the code exists already
  codes(options: {
    documentId?: string;
    limit: number;
    offset?: number;
  }): Promise<{ items: ProvisioningCode[]; total: number }>;
  /** What a code is worth at `now`, with its document when usable (the stored record whenever the code is known). */
  codeState(code: string, now: number): Promise<{ state: CodeState; code?: ProvisioningCode }>;
  /** Revokes an unused code; false when unknown or already used/revoked. */
  revokeCode(code: string, at: number): Promise<boolean>;

  /**
   * Ends a provisioning in one transaction: the code is marked used only if still usable at `now`
   * (compare-and-set), and the configured document is inserted. Returns the code's state: 'usable'
   * means it was consumed and the credential stored; anything else wrote nothing. A
   * credentialKeyFingerprint already stored also writes nothing ('conflict'). Throws (writing
   * nothing) when configured.documentId is not the code's document.
   */
  completeProvisioning(code: string, configured: ConfiguredDocument, now: number): Promise<CodeState | 'conflict'>;
  configured(credentialKeyFingerprint: string): Promise<ConfiguredDocument | undefined>;
  configuredForDocument(documentId: string): Promise<ConfiguredDocument[]>;
  /** The console's listing of credentials, newest first; filter by document. */
  configuredDocuments(query: {
    limit: number;
    offset?: number;
    documentId?: string;
  }): Promise<{ items: ConfiguredDocument[]; total: number }>;
  /**
   * An update in one transaction: new proof, its hash and dataTimestamp; the credential's
   * endorsed auth keys removed (they were bound to the old proof). False when the credential is gone.
   */
  updateConfigured(
    credentialKeyFingerprint: string,
    update: { proofOfProvisioning: Uint8Array; proofOfProvisioningSha256: Uint8Array; dataTimestamp: number },
    at: number,
  ): Promise<boolean>;
  /** Removes the credential and its auth keys in one transaction; false when it is gone already. */
  deleteConfigured(credentialKeyFingerprint: string): Promise<boolean>;

  /**
   * Adds endorsed keys (one transaction); an auth key already endorsed for this credential is replaced.
   * Throws, writing nothing, when a key's credential is not configured (deleted meanwhile).
   */
  endorseAuthKeys(keys: readonly EndorsedAuthKey[]): Promise<void>;
  authKeys(credentialKeyFingerprint: string): Promise<EndorsedAuthKey[]>;
  /** For listings: per credential among `fingerprints`, how many auth keys it holds and when the last expires (absent: none). */
  authKeyTotals(fingerprints: readonly string[]): Promise<Map<string, { count: number; latestExpiry: number }>>;
  /** For listings: the documents among `ids` that exist, by id. */
  documentsById(ids: readonly string[]): Promise<Map<string, MdocDocument>>;
}

/** A provisioning session under way (eSessionId → its flow state). */
export interface ProvisioningSession {
  id: string;
  /** flow.ts's SessionStep. */
  step: string;
  /** What the flow remembers between messages (challenge, docType, code, fingerprints…), JSON. */
  state: Record<string, unknown>;
  expiresAt: number;
  /** Incremented by every update (compare-and-set). */
  version: number;
}

/** Sessions in the SQL database or in Redis; every method is atomic. */
export interface ProvisioningSessionStore {
  create(session: ProvisioningSession): Promise<void>;
  /** The session unless unknown or expired at `now`. */
  get(id: string, now: number): Promise<ProvisioningSession | undefined>;
  /** Replaces step/state/expiresAt if the stored version is `expectedVersion` (then version + 1); false otherwise. */
  update(
    id: string,
    expectedVersion: number,
    next: Pick<ProvisioningSession, 'step' | 'state' | 'expiresAt'>,
  ): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Deletes sessions expired before `now`; how many. */
  purgeExpired(now: number): Promise<number>;
}
