import { generateKeyPairSync } from 'node:crypto';
import { Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../errors.js';
import { decodeDocumentData, elementsOf, encodeDocumentData } from './document-data.js';
import { documentDataFromJson, documentDataToJson } from './document-json.js';
import { fullDate } from './issuer/element-value.js';
import {
  generateIssuerCaDirectory,
  issuerCaFilesFromDirectory,
  loadDocumentSigner,
} from './issuer/issuer-ca-directory.js';
import { issueMdoc } from './issuer/issuer-signed.js';
import { TEST_PERSONS } from './test-data.js';

const code = (json: unknown) => {
  try {
    documentDataFromJson(json);
  } catch (error) {
    if (isKeywardError(error)) return `${error.code}: ${error.detail}`;
    throw error;
  }
  return 'accepted';
};

describe('document JSON', () => {
  it('round-trips the seed mDL through the stored canonical CBOR unchanged', () => {
    for (const { document } of TEST_PERSONS) {
      const bytes = documentDataFromJson(document);
      expect(documentDataToJson('org.iso.18013.5.1.mDL', bytes)).toEqual(document);
      // Canonical: encoding what was decoded gives the same bytes.
      const decoded = decodeDocumentData('org.iso.18013.5.1.mDL', bytes);
      expect(Buffer.from(encodeDocumentData(decoded)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('gives the issuer data it signs: the seed mDL becomes an mdoc', () => {
    const now = Date.now();
    const signer = loadDocumentSigner(
      issuerCaFilesFromDirectory(
        generateIssuerCaDirectory({ country: 'DE', organization: 'Seed Test', crlUrl: 'https://i.example/c.crl' }, now),
      ),
    );
    const data = decodeDocumentData('org.iso.18013.5.1.mDL', documentDataFromJson(TEST_PERSONS[0].document));
    const issued = issueMdoc({
      docType: data.docType,
      nameSpaces: elementsOf(data),
      deviceKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      signer,
      validity: { signed: now, validFrom: now, validUntil: now + 86_400_000 },
    });
    expect(issued.issuerSigned.length).toBeGreaterThan(1042);
  });

  it('stores CBOR types: full-date 1004, tdate 0 cut to seconds, byte strings, maps, default profiles [0]', () => {
    const bytes = documentDataFromJson({
      nameSpaces: {
        ns: {
          d: { fullDate: '2000-02-29' },
          t: { dateTime: '2026-03-01T12:00:00.999+01:00' },
          b: { bytes: 'AAEC' },
          m: { nested: [1, 'x', null, false, 1.5] },
          explicit: { value: { fullDate: '2001-01-01' } },
        },
      },
    });
    const entries = decodeDocumentData('t', bytes).nameSpaces.get('ns')!;
    const value = (name: string) => entries.find((entry) => entry.name === name)!.value;
    expect(value('d')).toEqual(fullDate('2000-02-29'));
    expect(value('t')).toEqual(new Tag(0, '2026-03-01T11:00:00Z'));
    expect(value('b')).toEqual(new Uint8Array([0, 1, 2]));
    expect(value('m')).toEqual(new Map([['nested', [1, 'x', null, false, 1.5]]]));
    expect(value('explicit')).toEqual(fullDate('2001-01-01'));
    expect(entries.every((entry) => entry.accessControlProfiles.join() === '0')).toBe(true);
    expect(decodeDocumentData('t', bytes).accessControlProfiles).toEqual([{ id: 0 }]);
  });

  it('refuses what it cannot store faithfully, naming where', () => {
    expect(code([])).toMatch(/must be a JSON object/);
    expect(code({ nameSpaces: { ns: { a: 1 } }, docType: 'x' })).toMatch(/unexpected key "docType"/);
    expect(code({ nameSpaces: {} })).toMatch(/no namespace/);
    expect(code({ nameSpaces: { ns: {} } })).toMatch(/ns has no elements/);
    expect(code({ nameSpaces: { ns: { d: { fullDate: '1964-02-30' } } } })).toMatch(
      /MDOC_DOCUMENT_JSON_INVALID: ns\/d/,
    );
    expect(code({ nameSpaces: { ns: { t: { dateTime: '2026-01-01' } } } })).toMatch(/ns\/t.*RFC 3339/);
    expect(code({ nameSpaces: { ns: { b: { bytes: 'not base64!' } } } })).toMatch(/ns\/b\.bytes must be base64/);
    expect(code({ nameSpaces: { ns: { n: 2 ** 60 } } })).toMatch(/ns\/n is not a finite number/);
    expect(code({ nameSpaces: { ns: { a: { value: 1, accessControlProfiles: [1] } } } })).toMatch(
      /refers to access-control profile 1/,
    );
    expect(code({ accessControlProfiles: [{ id: 0 }, { id: 0 }], nameSpaces: { ns: { a: 1 } } })).toMatch(
      /appears twice/,
    );
    expect(code({ accessControlProfiles: [{ id: 0, timeoutMillis: 5 }], nameSpaces: { ns: { a: 1 } } })).toMatch(
      /needs userAuthenticationRequired/,
    );
    expect(code({ nameSpaces: { ns: { '': 1 } } })).toMatch(/element name/);
  });
});
