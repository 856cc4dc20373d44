import { randomInt, randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { contentError } from '../../errors.js';
import type {
  CodeState,
  ConfiguredDocument,
  MdocDocument,
  MdocPerson,
  MdocRecordStore,
  ProvisioningCode,
} from '../../store/provisioning-store.js';
import { type DocumentJson, documentDataFromJson, documentDataToJson } from './document-json.js';

/**
 * The operations on the mdoc system of record that the operator API and the CLI share: persons,
 * their documents (data in the JSON form of document-json.ts), provisioning codes. Views are
 * JSON-ready (ISO times, base64 bytes).
 */

/** Digits of an issued code: 20 decimal digits, log2(10^20) ≈ 66.4 bits from a CSPRNG. */
export const CODE_DIGITS = 20;
/** Longest TTL an operator may give a code: one year. */
export const MAX_CODE_TTL_SECONDS = 366 * 86_400;
const MAX_NAME = 200;
const DOC_TYPE = /^[\x21-\x7e]{1,256}$/;

export interface PersonView {
  id: string;
  name: string;
  createdAt: string;
}

export interface DocumentView {
  id: string;
  personId: string;
  docType: string;
  status: MdocDocument['status'];
  dataTimestamp: string;
  createdAt: string;
  updatedAt: string;
  data: DocumentJson;
}

export interface CodeView {
  code: string;
  documentId: string;
  state: Exclude<CodeState, 'unknown'>;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
  revokedAt?: string;
}

export interface CredentialView {
  credentialKeyFingerprint: string;
  /** Provisioned with the document's current data (false: the next UpdateCredential answers update). */
  current: boolean;
  dataTimestamp: string;
  createdAt: string;
  updatedAt: string;
  authKeys: { authKeyFingerprint: string; generatedAt: string; expiresAt: string }[];
}

export interface PersonDetail extends PersonView {
  documents: (DocumentView & { credentials: CredentialView[]; codes: CodeView[] })[];
}

export interface Page<T> {
  items: T[];
  total: number;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

const invalid = (detail: string) =>
  contentError('MDOC_RECORD_INVALID', `The request is invalid: ${detail}.`, { detail });

export const personView = (person: MdocPerson): PersonView => ({
  id: person.id,
  name: person.name,
  createdAt: iso(person.createdAt),
});

export const documentView = (document: MdocDocument): DocumentView => ({
  id: document.id,
  personId: document.personId,
  docType: document.docType,
  status: document.status,
  dataTimestamp: iso(document.dataTimestamp),
  createdAt: iso(document.createdAt),
  updatedAt: iso(document.updatedAt),
  data: documentDataToJson(document.docType, document.data),
});

/** A code's state at `now` from its record (as MdocRecordStore.codeState decides it). */
export function codeStateAt(code: ProvisioningCode, now: number): Exclude<CodeState, 'unknown'> {
  if (code.revokedAt !== undefined) return 'revoked';
  if (code.usedAt !== undefined) return 'used';
  if (code.expiresAt <= now) return 'expired';
  return 'usable';
}

export const codeView = (code: ProvisioningCode, now: number): CodeView => ({
  code: code.code,
  documentId: code.documentId,
  state: codeStateAt(code, now),
  createdAt: iso(code.createdAt),
  expiresAt: iso(code.expiresAt),
  ...(code.usedAt === undefined ? {} : { usedAt: iso(code.usedAt) }),
  ...(code.revokedAt === undefined ? {} : { revokedAt: iso(code.revokedAt) }),
});

/** A fresh code: CODE_DIGITS uniformly random decimal digits (typable on a phone's number pad). */
export function randomProvisioningCode(): string {
  let code = '';
  for (let index = 0; index < CODE_DIGITS; index++) code += String(randomInt(10));
  return code;
}

export function checkLimit(limit: number | undefined, offset: number | undefined) {
  const page = { limit: limit ?? 100, offset: offset ?? 0 };
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > 1000)
    throw invalid('limit must be an integer 1–1000');
  if (!Number.isSafeInteger(page.offset) || page.offset < 0) throw invalid('offset must be a non-negative integer');
  return page;
}

export class MdocRecords {
  constructor(
    private readonly store: MdocRecordStore,
    private readonly clock: Clock,
    private readonly options: { codeTtlSeconds: number },
  ) {}

  async addPerson(name: string): Promise<PersonView> {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > MAX_NAME) throw invalid(`a name has 1–${MAX_NAME} characters`);
    const person: MdocPerson = { id: randomUUID(), name: trimmed, createdAt: this.clock.now() };
    await this.store.addPerson(person);
    return personView(person);
  }

  async persons(options: { limit?: number; offset?: number; search?: string } = {}): Promise<Page<PersonView>> {
    const page = await this.store.persons({
      ...checkLimit(options.limit, options.offset),
      ...(options.search ? { search: options.search } : {}),
    });
    return { items: page.items.map(personView), total: page.total };
  }

  async person(id: string): Promise<PersonDetail> {
    const person = await this.store.person(id);
    if (!person) throw contentError('MDOC_PERSON_UNKNOWN', 'No such person.', { status: 404, detail: id });
    const now = this.clock.now();
    const documents = await this.allDocuments(person.id);
    return {
      ...personView(person),
      documents: await Promise.all(
        documents.map(async (document) => ({
          ...documentView(document),
          credentials: await Promise.all(
            (await this.store.configuredForDocument(document.id)).map((configured) =>
              this.credentialView(configured, document),
            ),
          ),
          codes: (await this.allCodes(document.id)).map((code) => codeView(code, now)),
        })),
      ),
    };
  }

  async addDocument(input: { personId: string; docType: string; data: unknown }): Promise<DocumentView> {
    if (!DOC_TYPE.test(input.docType)) throw invalid('docType must be 1–256 printable ASCII characters');
    const data = documentDataFromJson(input.data);
    if (!(await this.store.person(input.personId)))
      throw contentError('MDOC_PERSON_UNKNOWN', 'No such person.', { status: 404, detail: input.personId });
    const now = this.clock.now();
    const document: MdocDocument = {
      id: randomUUID(),
      personId: input.personId,
      docType: input.docType,
      data,
      dataTimestamp: now,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    };
    await this.store.addDocument(document);
    return documentView(document);
  }

  async document(id: string): Promise<MdocDocument> {
    const document = await this.store.document(id);
    if (!document) throw contentError('MDOC_DOCUMENT_UNKNOWN', 'No such document.', { status: 404, detail: id });
    return document;
  }

  async documents(options: { personId?: string; limit?: number; offset?: number } = {}): Promise<Page<DocumentView>> {
    const page = await this.store.documents({
      ...checkLimit(options.limit, options.offset),
      ...(options.personId ? { personId: options.personId } : {}),
    });
    return { items: page.items.map(documentView), total: page.total };
  }

  /** New data: credentials provisioned before now answer `update` on their next UpdateCredential. */
  async updateDocument(id: string, json: unknown): Promise<DocumentView> {
    const data = documentDataFromJson(json);
    const document = await this.document(id);
    if (document.status === 'to_delete')
      throw contentError('MDOC_DOCUMENT_WITHDRAWN', 'The document is marked for deletion.', { status: 409 });
    // dataTimestamp strictly increases, so a credential provisioned in the same millisecond still sees the change.
    const at = Math.max(this.clock.now(), document.dataTimestamp + 1);
    if (!(await this.store.updateDocumentData(id, data, at)))
      throw contentError('MDOC_DOCUMENT_UNKNOWN', 'No such document.', { status: 404, detail: id });
    return documentView(await this.document(id));
  }

  /** Marks for deletion: UpdateCredential answers `delete`; its unused codes are revoked. */
  async deleteDocument(id: string): Promise<DocumentView> {
    await this.document(id);
    const now = this.clock.now();
    if (!(await this.store.markDocumentForDeletion(id, now)))
      throw contentError('MDOC_DOCUMENT_UNKNOWN', 'No such document.', { status: 404, detail: id });
    for (const code of await this.allCodes(id))
      if (codeStateAt(code, now) === 'usable') await this.store.revokeCode(code.code, now);
    return documentView(await this.document(id));
  }

  /** A new random code for the document, valid `ttlSeconds` (default codeTtlSeconds). */
  async issueCode(documentId: string, ttlSeconds?: number): Promise<CodeView> {
    const ttl = ttlSeconds ?? this.options.codeTtlSeconds;
    if (!Number.isSafeInteger(ttl) || ttl < 60 || ttl > MAX_CODE_TTL_SECONDS)
      throw invalid(`the TTL must be an integer 60–${MAX_CODE_TTL_SECONDS} seconds`);
    const document = await this.document(documentId);
    if (document.status === 'to_delete')
      throw contentError('MDOC_DOCUMENT_WITHDRAWN', 'The document is marked for deletion.', { status: 409 });
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock.now();
      const code: ProvisioningCode = {
        code: randomProvisioningCode(),
        documentId,
        createdAt: now,
        expiresAt: now + ttl * 1000,
      };
      if (await this.store.addCode(code)) return codeView(code, now);
    }
    throw new Error('three random provisioning codes collided');
  }

  /** A fixed code (seed-test-data only: the reference's codes 1001 and 2001); false when it exists already. */
  async addFixedCode(documentId: string, code: string): Promise<boolean> {
    const now = this.clock.now();
    return this.store.addCode({
      code,
      documentId,
      createdAt: now,
      expiresAt: now + this.options.codeTtlSeconds * 1000,
    });
  }

  async codes(options: { documentId?: string; limit?: number; offset?: number } = {}): Promise<Page<CodeView>> {
    const page = await this.store.codes({
      ...checkLimit(options.limit, options.offset),
      ...(options.documentId ? { documentId: options.documentId } : {}),
    });
    const now = this.clock.now();
    return { items: page.items.map((code) => codeView(code, now)), total: page.total };
  }

  async revokeCode(code: string): Promise<CodeView> {
    const now = this.clock.now();
    if (!(await this.store.revokeCode(code, now))) {
      const { state } = await this.store.codeState(code, now);
      if (state === 'unknown') throw contentError('MDOC_CODE_UNKNOWN', 'No such provisioning code.', { status: 404 });
      throw contentError('MDOC_CODE_NOT_REVOCABLE', `The provisioning code is ${state} already.`, { status: 409 });
    }
    const { code: record } = await this.store.codeState(code, now);
    if (!record) throw contentError('MDOC_CODE_UNKNOWN', 'No such provisioning code.', { status: 404 });
    return codeView(record, now);
  }

  private async credentialView(configured: ConfiguredDocument, document: MdocDocument): Promise<CredentialView> {
    return {
      credentialKeyFingerprint: configured.credentialKeyFingerprint,
      current: configured.dataTimestamp >= document.dataTimestamp,
      dataTimestamp: iso(configured.dataTimestamp),
      createdAt: iso(configured.createdAt),
      updatedAt: iso(configured.updatedAt),
      authKeys: (await this.store.authKeys(configured.credentialKeyFingerprint)).map((key) => ({
        authKeyFingerprint: key.authKeyFingerprint,
        generatedAt: iso(key.generatedAt),
        expiresAt: iso(key.expiresAt),
      })),
    };
  }

  private async allDocuments(personId: string): Promise<MdocDocument[]> {
    const documents: MdocDocument[] = [];
    for (;;) {
      const page = await this.store.documents({ personId, limit: 1000, offset: documents.length });
      documents.push(...page.items);
      if (page.items.length === 0 || documents.length >= page.total) return documents;
    }
  }

  private async allCodes(documentId: string): Promise<ProvisioningCode[]> {
    const codes: ProvisioningCode[] = [];
    for (;;) {
      const page = await this.store.codes({ documentId, limit: 1000, offset: codes.length });
      codes.push(...page.items);
      if (page.items.length === 0 || codes.length >= page.total) return codes;
    }
  }
}
