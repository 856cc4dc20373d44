import type { MdocRecordStore } from '../../store/provisioning-store.js';
import type { DocumentJson } from './document-json.js';
import type { MdocRecords } from './records.js';

/**
 * The reference server's test data (PROTOCOLS.md §7): Erika Mustermann with provisioning code
 * "1001" (an mDL with portrait, driving privileges and the AAMVA real_id namespace) and John Doe
 * with "2001". `keyward mdoc seed-test-data` loads it; the fixed codes bypass the random-code rule
 * only here.
 */

export const MDL_DOC_TYPE = 'org.iso.18013.5.1.mDL';
const MDL = 'org.iso.18013.5.1';
const AAMVA = 'org.aamva.18013.5.1';

/**
 * A small portrait JPEG (1042 bytes): the portrait of the ISO/IEC 18013-5:2021 Annex D test
 * vectors (DEVICE_RESPONSE_PORTRAIT_DATA in test/vectors/mdoc/iso18013-5-annex-d.json, as
 * transcribed by the Multipaz project, Apache-2.0).
 */
export const TEST_PORTRAIT_JPEG_BASE64 = [
  '/9j/4AAQSkZJRgABAQEAkACQAAD/2wBDABMNDhEODBMRDxEVFBMXHTAfHRoaHToqLCMwRT1JR0Q9Q0FMVm1dTFFoUkFDX4JgaHF1',
  'e3x7SlyGkIV3j214e3b/2wBDARQVFR0ZHTgfHzh2T0NPdnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2dnZ2',
  'dnZ2dnZ2dnb/wAARCAAYAGQDASIAAhEBAxEB/8QAGwAAAwEAAwEAAAAAAAAAAAAAAAUGBAECAwf/xAAyEAABAwMDAgUCAwkAAAAA',
  'AAABAgMEAAURBhIhEzEUFVFhcSJBB4GhFjVCUnORssHx/8QAFQEBAQAAAAAAAAAAAAAAAAAAAAH/xAAaEQEBAQADAQAAAAAAAAAA',
  'AAAAAUERITFh/9oADAMBAAIRAxEAPwClu94i2iMpx9aSvH0NA/Us+w/3Xnp+8+dwlyOh0NrhRt37s8A5zgetK9R6fjLbuN0dUtbv',
  'SyhPZKSABn37Ufh/+5X/AOuf8U0hXeZq8InORLfb3py2iQooOO3fGAePet1i1BHvTbmxCmXWuVoUc4HqDUlbkzJ1/mu6dcEUEEqL',
  'pBBBPpg9/wBPWvXTS0tM3mMtC/H9FZK92RxkEfOTTC+mr2tUl10Qbc9KZa5W6FYAHrwDx84p3Z7vHvEPxEfcnadq0q7pNTehun5P',
  'cN2O/wBXxt/7XhoZhUqDdY5UUodQlG7GcEhQzQN7zrCLbX0sx20zF/x7XMBPtnByacXG4MW2CuVJJCEjsOST9gKgdVWeNZlw2Y24',
  'lSVFa1HJUcivoT6o6Y48WWg2eD1cY/WmGpn9tykIddtL6IqzhLu7v8cYP96qYz6JUdt9o5bcSFJPsai9YRpaoqJDLzCrQgp6bTJA',
  'xxjPAx+p70ya1VAgWqApUd9KHWyEIbAVt2nbjJIpg36ivosbDTnQ66nFFITv24wO/Y0lja88RJaZ8u29RYTnr5xk4/lrm+so1KxA',
  'kx5keMjnaiSoJUSVAdhn0rHc3rrpm5x1KuTs1t3koXnBweRgk4+RSe9lXlFcA5GaKJyz3KJ4+3vxd/T6qCndjOPyrJp+zeSQlx+v',
  '19zhXu2bccAYxk+lFFFLJOjk+MXJt1wegledwSM9/sCCOPat1i05GswcUlannnBtUtQxx6AUUUC5/RSes6YNxeiMu8LaCSQR6dxx',
  '85p3ZrRHs0ToR9ysnctau6jRRQYdQ6b88eZc8V0OkCMdPdnP5imVxtzFyhKiyQShX3HdJ9RRRT4J0aIUUJYcuz6oqVZDO3gfHOM9',
  '/tVPDitQorcdhO1tsYAoooF190/GvaEFxSmnkcJcTzx6EfcVhiaPSma3JuM96epvG1Kxgcdgck5HtRRSClooooP/2Q==',
].join('');

const mdl = (person: {
  familyName: string;
  givenName: string;
  birthDate: string;
  documentNumber: string;
  categories: string[];
}): DocumentJson => ({
  accessControlProfiles: [{ id: 0 }],
  nameSpaces: {
    [MDL]: {
      family_name: person.familyName,
      given_name: person.givenName,
      birth_date: { fullDate: person.birthDate },
      issue_date: { fullDate: '2024-01-15' },
      expiry_date: { fullDate: '2034-01-14' },
      issuing_country: 'DE',
      issuing_authority: 'Keyward Test Authority',
      document_number: person.documentNumber,
      portrait: { bytes: TEST_PORTRAIT_JPEG_BASE64 },
      driving_privileges: person.categories.map((category) => ({
        vehicle_category_code: category,
        issue_date: { fullDate: '2024-01-15' },
        expiry_date: { fullDate: '2034-01-14' },
      })),
      un_distinguishing_sign: 'D',
      age_over_18: true,
      age_over_21: true,
    },
    [AAMVA]: { real_id: true },
  },
});

export const TEST_PERSONS = [
  {
    name: 'Erika Mustermann',
    code: '1001',
    document: mdl({
      familyName: 'Mustermann',
      givenName: 'Erika',
      birthDate: '1964-08-12',
      documentNumber: 'T22000129',
      categories: ['A', 'B'],
    }),
  },
  {
    name: 'John Doe',
    code: '2001',
    document: mdl({
      familyName: 'Doe',
      givenName: 'John',
      birthDate: '1980-05-01',
      documentNumber: 'T22000130',
      categories: ['B'],
    }),
  },
] as const;

export interface SeededPerson {
  name: string;
  personId: string;
  documentId: string;
  code: string;
  /** What this run added (nothing on a second run). */
  added: { person: boolean; document: boolean; code: boolean };
}

/**
 * Loads the test data; idempotent: a person found by exact name, their mDL and an existing code
 * are reused, not duplicated (a code already present is left as it is, even used or expired).
 */
export async function seedTestData(records: MdocRecords, store: MdocRecordStore): Promise<SeededPerson[]> {
  const seeded: SeededPerson[] = [];
  for (const entry of TEST_PERSONS) {
    const added = { person: false, document: false, code: false };
    const found = (await store.persons({ limit: 1000, search: entry.name })).items
      .filter((person) => person.name === entry.name)
      .sort((a, b) => a.createdAt - b.createdAt)[0];
    const personId = found?.id ?? (await records.addPerson(entry.name)).id;
    added.person = !found;
    const existingCode = (await store.codeState(entry.code, 0)).code;
    let documentId = existingCode?.documentId;
    if (documentId === undefined) {
      const documents = (await store.documents({ limit: 1000, personId })).items.filter(
        (document) => document.docType === MDL_DOC_TYPE,
      );
      documentId =
        documents.sort((a, b) => a.createdAt - b.createdAt)[0]?.id ??
        (await records.addDocument({ personId, docType: MDL_DOC_TYPE, data: entry.document })).id;
      added.document = documents.length === 0;
      added.code = await records.addFixedCode(documentId, entry.code);
    }
    seeded.push({ name: entry.name, personId, documentId, code: entry.code, added });
  }
  return seeded;
}
