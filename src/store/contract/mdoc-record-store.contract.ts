import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ConfiguredDocument,
  EndorsedAuthKey,
  MdocDocument,
  MdocPerson,
  MdocRecordStore,
  ProvisioningCode,
} from '../provisioning-store.js';

export interface MdocRecordStoreHarness {
  store: MdocRecordStore;
  cleanup(): Promise<void>;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

/** Bytes with every edge a driver could mangle: NUL, 0xff, high bytes, and random ones. */
const awkwardBytes = (length = 64) =>
  new Uint8Array([0x00, 0xff, 0x00, 0x00, 0x80, 0x7f, 0xfe, 0x01, 0xff, 0x00, ...randomBytes(length)]);
const hex = () => randomBytes(32).toString('hex');

const person = (overrides: Partial<MdocPerson> = {}): MdocPerson => ({
  id: randomUUID(),
  name: `Person ${randomBytes(4).toString('hex')}`,
  createdAt: T0,
  ...overrides,
});

const document = (personId: string, overrides: Partial<MdocDocument> = {}): MdocDocument => ({
  id: randomUUID(),
  personId,
  docType: 'org.iso.18013.5.1.mDL',
  data: awkwardBytes(),
  dataTimestamp: T0,
  status: 'active',
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

const code = (documentId: string, overrides: Partial<ProvisioningCode> = {}): ProvisioningCode => ({
  code: randomBytes(6).toString('hex'),
  documentId,
  createdAt: T0,
  expiresAt: T0 + DAY,
  ...overrides,
});

const configured = (documentId: string, overrides: Partial<ConfiguredDocument> = {}): ConfiguredDocument => ({
  credentialKeyFingerprint: hex(),
  documentId,
  credentialKeyChain: awkwardBytes(700),
  proofOfProvisioning: awkwardBytes(300),
  proofOfProvisioningSha256: new Uint8Array([0x00, 0xff, ...randomBytes(30)]),
  dataTimestamp: T0,
  createdAt: T0 + MINUTE,
  updatedAt: T0 + MINUTE,
  ...overrides,
});

const authKey = (credentialKeyFingerprint: string, overrides: Partial<EndorsedAuthKey> = {}): EndorsedAuthKey => ({
  credentialKeyFingerprint,
  authKeyFingerprint: hex(),
  certificate: awkwardBytes(400),
  staticAuthData: awkwardBytes(200),
  generatedAt: T0 + 2 * MINUTE,
  expiresAt: T0 + 30 * DAY,
  ...overrides,
});

/** The behaviour every MdocRecordStore must have; run once per backend (the tests share one store). */
export function describeMdocRecordStoreContract(
  name: string,
  open: () => Promise<MdocRecordStoreHarness>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`MdocRecordStore contract: ${name}`, () => {
    let harness: MdocRecordStoreHarness;
    let store: MdocRecordStore;
    beforeAll(async () => {
      harness = await open();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.cleanup();
    });

    /** A person with one document, stored. */
    const seeded = async (documentOverrides: Partial<MdocDocument> = {}) => {
      const owner = person();
      await store.addPerson(owner);
      const stored = document(owner.id, documentOverrides);
      await store.addDocument(stored);
      return { owner, document: stored };
    };

    /** A seeded document with a usable code. */
    const withCode = async () => {
      const seed = await seeded();
      const issued = code(seed.document.id);
      expect(await store.addCode(issued)).toBe(true);
      return { ...seed, code: issued };
    };

    it('stores persons and lists them newest first, paged, with a case-insensitive search', async () => {
      const tag = randomBytes(4).toString('hex');
      const people = [
        person({ name: `Erika Mustermann ${tag}`, createdAt: T0 + 3 }),
        person({ name: `John Doe ${tag}`, createdAt: T0 + 2 }),
        person({ name: `Jörg ÄRGER ${tag}`, createdAt: T0 + 1 }),
        person({ name: `Erika 100%_\\ ${tag}`, createdAt: T0 + 4 }),
      ];
      for (const each of people) await store.addPerson(each);
      expect(await store.person(people[0]!.id)).toEqual(people[0]);
      expect(await store.person(randomUUID())).toBeUndefined();

      const all = await store.persons({ limit: 100, search: tag });
      expect(all.total).toBe(4);
      expect(all.items).toEqual([people[3], people[0], people[1], people[2]]);
      const page = await store.persons({ limit: 2, offset: 1, search: tag.toUpperCase() });
      expect(page).toEqual({ items: [people[0], people[1]], total: 4 });

      expect((await store.persons({ limit: 10, search: `erika MUSTER` })).items).toContainEqual(people[0]);
      expect((await store.persons({ limit: 10, search: `ärger ${tag}` })).items).toEqual([people[2]]);
      // Wildcards are literal.
      expect((await store.persons({ limit: 10, search: `100%_\\ ${tag}` })).items).toEqual([people[3]]);
      expect((await store.persons({ limit: 10, search: `${tag}%` })).total).toBe(0);
      expect((await store.persons({ limit: 10, search: `_${tag}` })).total).toBe(0);

      const everyone = await store.persons({ limit: 1 });
      expect(everyone.total).toBeGreaterThanOrEqual(4);
      expect(everyone.items).toHaveLength(1);
    });

    it('stores documents with their bytes exactly, lists them per person, updates and marks them', async () => {
      const owner = person();
      await store.addPerson(owner);
      const first = document(owner.id, { createdAt: T0 + 1, updatedAt: T0 + 1 });
      const second = document(owner.id, { createdAt: T0 + 2, updatedAt: T0 + 2, docType: 'org.iso.18013.5.1.mID' });
      const third = document(owner.id, { createdAt: T0 + 3, updatedAt: T0 + 3, data: new Uint8Array([0x00]) });
      for (const each of [first, second, third]) await store.addDocument(each);

      const read = await store.document(first.id);
      expect(read).toEqual(first);
      expect(Buffer.from(read!.data).equals(Buffer.from(first.data))).toBe(true);
      expect(await store.document(third.id)).toEqual(third);
      expect(await store.document(randomUUID())).toBeUndefined();

      expect(await store.documents({ limit: 10, personId: owner.id })).toEqual({
        items: [third, second, first],
        total: 3,
      });
      expect(await store.documents({ limit: 1, offset: 1, personId: owner.id })).toEqual({
        items: [second],
        total: 3,
      });
      expect((await store.documents({ limit: 10, personId: randomUUID() })).total).toBe(0);
      expect((await store.documents({ limit: 1 })).total).toBeGreaterThanOrEqual(3);

      const data = new Uint8Array([0xff, 0x00, 0xa1, 0x00, 0xff]);
      expect(await store.updateDocumentData(first.id, data, T0 + DAY)).toBe(true);
      expect(await store.document(first.id)).toEqual({ ...first, data, dataTimestamp: T0 + DAY, updatedAt: T0 + DAY });
      expect(await store.updateDocumentData(randomUUID(), data, T0 + DAY)).toBe(false);

      expect(await store.markDocumentForDeletion(second.id, T0 + 2 * DAY)).toBe(true);
      expect(await store.document(second.id)).toEqual({ ...second, status: 'to_delete', updatedAt: T0 + 2 * DAY });
      expect(await store.markDocumentForDeletion(randomUUID(), T0)).toBe(false);
    });

    it('issues codes once and lists them per document, newest first', async () => {
      const { document: stored } = await seeded();
      const codes = [1, 2, 3].map((n) => code(stored.id, { createdAt: T0 + n }));
      for (const each of codes) expect(await store.addCode(each)).toBe(true);
      expect(await store.addCode({ ...codes[0]!, documentId: stored.id, expiresAt: T0 + 5 * DAY })).toBe(false);

      expect(await store.codes({ documentId: stored.id, limit: 10 })).toEqual({
        items: [codes[2], codes[1], codes[0]],
        total: 3,
      });
      expect(await store.codes({ documentId: stored.id, limit: 2, offset: 2 })).toEqual({
        items: [codes[0]],
        total: 3,
      });
      expect((await store.codes({ limit: 1 })).total).toBeGreaterThanOrEqual(3);
    });

    it('tells usable, unknown, used, expired and revoked codes apart', async () => {
      const { document: stored } = await seeded();
      const usable = code(stored.id);
      const expiring = code(stored.id, { expiresAt: T0 + MINUTE });
      const revoked = code(stored.id);
      const used = code(stored.id, { usedAt: T0 + 1 });
      for (const each of [usable, expiring, revoked, used]) expect(await store.addCode(each)).toBe(true);

      expect(await store.codeState(usable.code, T0)).toEqual({ state: 'usable', code: usable });
      expect((await store.codeState(randomBytes(6).toString('hex'), T0)).state).toBe('unknown');
      expect((await store.codeState(expiring.code, T0 + MINUTE - 1)).state).toBe('usable');
      expect((await store.codeState(expiring.code, T0 + MINUTE)).state).toBe('expired');
      expect((await store.codeState(used.code, T0)).state).toBe('used');

      expect(await store.revokeCode(revoked.code, T0 + 5)).toBe(true);
      expect(await store.codeState(revoked.code, T0 + 6)).toEqual({
        state: 'revoked',
        code: { ...revoked, revokedAt: T0 + 5 },
      });
      expect(await store.revokeCode(revoked.code, T0 + 7)).toBe(false);
      expect(await store.revokeCode(used.code, T0 + 7)).toBe(false);
      expect(await store.revokeCode('no-such-code', T0 + 7)).toBe(false);

      // A revoked or expired code provisions nothing.
      expect(await store.completeProvisioning(revoked.code, configured(stored.id), T0 + 10)).toBe('revoked');
      expect(await store.completeProvisioning(expiring.code, configured(stored.id), T0 + MINUTE)).toBe('expired');
      expect(await store.completeProvisioning('no-such-code', configured(stored.id), T0)).toBe('unknown');
      expect(await store.configuredForDocument(stored.id)).toEqual([]);
    });

    it('completes a provisioning once: the code is used and the credential stored, bytes exact', async () => {
      const { document: stored, code: issued } = await withCode();
      const credential = configured(stored.id);
      expect(await store.completeProvisioning(issued.code, credential, T0 + MINUTE)).toBe('usable');
      expect(await store.codeState(issued.code, T0 + MINUTE)).toEqual({
        state: 'used',
        code: { ...issued, usedAt: T0 + MINUTE },
      });
      const read = await store.configured(credential.credentialKeyFingerprint);
      expect(read).toEqual(credential);
      for (const field of ['credentialKeyChain', 'proofOfProvisioning', 'proofOfProvisioningSha256'] as const)
        expect(Buffer.from(read![field]).equals(Buffer.from(credential[field]))).toBe(true);
      expect(await store.configuredForDocument(stored.id)).toEqual([credential]);
      expect(await store.configured(hex())).toBeUndefined();

      expect(await store.completeProvisioning(issued.code, configured(stored.id), T0 + MINUTE)).toBe('used');
      expect(await store.configuredForDocument(stored.id)).toEqual([credential]);
    });

    it('consumes a code exactly once under concurrency', async () => {
      const { document: stored, code: issued } = await withCode();
      const attempts = Array.from({ length: 10 }, () => configured(stored.id));
      const outcomes = await Promise.all(
        attempts.map((attempt) => store.completeProvisioning(issued.code, attempt, T0 + MINUTE)),
      );
      expect(outcomes.filter((outcome) => outcome === 'usable')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'used')).toHaveLength(9);
      const winner = attempts[outcomes.indexOf('usable')]!;
      expect(await store.configuredForDocument(stored.id)).toEqual([winner]);
    });

    it('refuses a credential key stored already and writes nothing', async () => {
      const first = await withCode();
      const credential = configured(first.document.id);
      expect(await store.completeProvisioning(first.code.code, credential, T0 + MINUTE)).toBe('usable');

      const second = await withCode();
      const again = configured(second.document.id, { credentialKeyFingerprint: credential.credentialKeyFingerprint });
      expect(await store.completeProvisioning(second.code.code, again, T0 + MINUTE)).toBe('conflict');
      expect(await store.codeState(second.code.code, T0 + MINUTE)).toEqual({ state: 'usable', code: second.code });
      expect(await store.configured(credential.credentialKeyFingerprint)).toEqual(credential);
      expect(await store.configuredForDocument(second.document.id)).toEqual([]);
    });

    it('stores one of concurrent provisionings of one credential key with different codes', async () => {
      const seeds = await Promise.all(Array.from({ length: 6 }, () => withCode()));
      const fingerprint = hex();
      const outcomes = await Promise.all(
        seeds.map((seed) =>
          store.completeProvisioning(
            seed.code.code,
            configured(seed.document.id, { credentialKeyFingerprint: fingerprint }),
            T0 + MINUTE,
          ),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'usable')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'conflict')).toHaveLength(5);
      const states = await Promise.all(seeds.map((seed) => store.codeState(seed.code.code, T0 + MINUTE)));
      expect(states.map(({ state }) => state)).toEqual(
        outcomes.map((outcome) => (outcome === 'usable' ? 'used' : 'usable')),
      );
      expect((await store.configured(fingerprint))?.documentId).toBe(seeds[outcomes.indexOf('usable')]!.document.id);
    });

    it("refuses a configured document of another document than the code's, writing nothing", async () => {
      const { code: issued } = await withCode();
      const other = await seeded();
      const credential = configured(other.document.id);
      await expect(store.completeProvisioning(issued.code, credential, T0 + MINUTE)).rejects.toThrow(TypeError);
      expect((await store.codeState(issued.code, T0 + MINUTE)).state).toBe('usable');
      expect(await store.configured(credential.credentialKeyFingerprint)).toBeUndefined();
    });

    it('endorses auth keys, replacing one endorsed already, bytes exact', async () => {
      const { document: stored, code: issued } = await withCode();
      const credential = configured(stored.id);
      expect(await store.completeProvisioning(issued.code, credential, T0 + MINUTE)).toBe('usable');
      const fp = credential.credentialKeyFingerprint;
      expect(await store.authKeys(fp)).toEqual([]);

      const keys = [
        authKey(fp, { generatedAt: T0 + 1 }),
        authKey(fp, { generatedAt: T0 + 2 }),
        authKey(fp, { generatedAt: T0 + 3 }),
      ];
      await store.endorseAuthKeys(keys);
      await store.endorseAuthKeys([]);
      const read = await store.authKeys(fp);
      expect(read).toEqual(keys);
      expect(Buffer.from(read[0]!.certificate).equals(Buffer.from(keys[0]!.certificate))).toBe(true);
      expect(Buffer.from(read[0]!.staticAuthData).equals(Buffer.from(keys[0]!.staticAuthData))).toBe(true);

      const replacement = authKey(fp, {
        authKeyFingerprint: keys[1]!.authKeyFingerprint,
        certificate: new Uint8Array([0xff, 0x00, 0xff]),
        staticAuthData: new Uint8Array([0x00]),
        generatedAt: T0 + 4,
        expiresAt: T0 + 60 * DAY,
      });
      const added = authKey(fp, { generatedAt: T0 + 5 });
      await store.endorseAuthKeys([replacement, added]);
      expect(await store.authKeys(fp)).toEqual([keys[0], keys[2], replacement, added]);

      // A credential that is not configured gets no keys, and the call writes nothing.
      await expect(store.endorseAuthKeys([authKey(fp), authKey(hex())])).rejects.toThrow();
      expect(await store.authKeys(fp)).toHaveLength(4);
    });

    it('totals auth keys per credential and reads documents by id, for listings', async () => {
      const { document: first, code: firstCode } = await withCode();
      const { document: second, code: secondCode } = await withCode();
      const [a, b] = [configured(first.id), configured(second.id)];
      expect(await store.completeProvisioning(firstCode.code, a, T0 + MINUTE)).toBe('usable');
      expect(await store.completeProvisioning(secondCode.code, b, T0 + MINUTE)).toBe('usable');
      const fp = a.credentialKeyFingerprint;
      await store.endorseAuthKeys([
        authKey(fp, { expiresAt: T0 + 10 * DAY }),
        authKey(fp, { expiresAt: T0 + 30 * DAY }),
        authKey(fp, { expiresAt: T0 + 20 * DAY }),
      ]);
      const totals = await store.authKeyTotals([fp, b.credentialKeyFingerprint, hex()]);
      expect([...totals.entries()]).toEqual([[fp, { count: 3, latestExpiry: T0 + 30 * DAY }]]);
      expect(await store.authKeyTotals([])).toEqual(new Map());

      const documents = await store.documentsById([first.id, second.id, 'no-such-document']);
      expect([...documents.keys()].sort()).toEqual([first.id, second.id].sort());
      expect(documents.get(first.id)).toEqual(await store.document(first.id));
      expect(await store.documentsById([])).toEqual(new Map());
    });

    it('updates a credential, removing its auth keys in the same call', async () => {
      const { document: stored, code: issued } = await withCode();
      const credential = configured(stored.id);
      expect(await store.completeProvisioning(issued.code, credential, T0 + MINUTE)).toBe('usable');
      const fp = credential.credentialKeyFingerprint;
      await store.endorseAuthKeys([authKey(fp), authKey(fp)]);

      // Another credential's keys stay.
      const other = await withCode();
      const otherCredential = configured(other.document.id);
      expect(await store.completeProvisioning(other.code.code, otherCredential, T0 + MINUTE)).toBe('usable');
      const otherKeys = [authKey(otherCredential.credentialKeyFingerprint)];
      await store.endorseAuthKeys(otherKeys);

      const update = {
        proofOfProvisioning: awkwardBytes(100),
        proofOfProvisioningSha256: new Uint8Array([0xff, ...randomBytes(30), 0x00]),
        dataTimestamp: T0 + DAY,
      };
      expect(await store.updateConfigured(fp, update, T0 + DAY + 1)).toBe(true);
      expect(await store.configured(fp)).toEqual({ ...credential, ...update, updatedAt: T0 + DAY + 1 });
      expect(await store.authKeys(fp)).toEqual([]);
      expect(await store.authKeys(otherCredential.credentialKeyFingerprint)).toEqual(otherKeys);
      expect(await store.updateConfigured(hex(), update, T0)).toBe(false);
    });

    it('deletes a credential with its auth keys', async () => {
      const { document: stored, code: issued } = await withCode();
      const credential = configured(stored.id);
      expect(await store.completeProvisioning(issued.code, credential, T0 + MINUTE)).toBe('usable');
      const fp = credential.credentialKeyFingerprint;
      await store.endorseAuthKeys([authKey(fp), authKey(fp), authKey(fp)]);

      expect(await store.deleteConfigured(fp)).toBe(true);
      expect(await store.configured(fp)).toBeUndefined();
      expect(await store.authKeys(fp)).toEqual([]);
      expect(await store.configuredForDocument(stored.id)).toEqual([]);
      expect(await store.deleteConfigured(fp)).toBe(false);
      // The code stays used: deleting the credential does not make it usable again.
      expect((await store.codeState(issued.code, T0 + MINUTE)).state).toBe('used');
    });

    it('deletes a credential once under concurrency', async () => {
      const { document: stored, code: issued } = await withCode();
      const credential = configured(stored.id);
      expect(await store.completeProvisioning(issued.code, credential, T0 + MINUTE)).toBe('usable');
      const fp = credential.credentialKeyFingerprint;
      await store.endorseAuthKeys([authKey(fp), authKey(fp)]);
      const results = await Promise.all(Array.from({ length: 8 }, () => store.deleteConfigured(fp)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.authKeys(fp)).toEqual([]);
    });

    it('lists configured documents newest first, paged, by document', async () => {
      const LATER = T0 + 100 * DAY;
      const first = await withCode();
      const second = await withCode();
      const credentials = [
        configured(first.document.id, { createdAt: LATER + 1 }),
        configured(second.document.id, { createdAt: LATER + 2 }),
      ];
      expect(await store.completeProvisioning(first.code.code, credentials[0]!, T0 + MINUTE)).toBe('usable');
      expect(await store.completeProvisioning(second.code.code, credentials[1]!, T0 + MINUTE)).toBe('usable');
      const another = code(first.document.id);
      await store.addCode(another);
      const third = configured(first.document.id, { createdAt: LATER + 3 });
      expect(await store.completeProvisioning(another.code, third, T0 + MINUTE)).toBe('usable');

      expect(await store.configuredDocuments({ limit: 10, documentId: first.document.id })).toEqual({
        items: [third, credentials[0]],
        total: 2,
      });
      expect(await store.configuredDocuments({ limit: 1, offset: 1, documentId: first.document.id })).toEqual({
        items: [credentials[0]],
        total: 2,
      });
      expect(await store.configuredDocuments({ limit: 10, documentId: randomUUID() })).toEqual({ items: [], total: 0 });
      const newest = await store.configuredDocuments({ limit: 2 });
      expect(newest.items).toEqual([third, credentials[1]]);
      expect(newest.total).toBeGreaterThanOrEqual(3);
    });
  });
}
