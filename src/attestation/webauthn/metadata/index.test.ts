import { describe, expect, it } from 'vitest';
import type { MetadataEntry } from '../types.js';
import { MetadataIndex, normalizeAaguid } from './index.js';

const entry = (description: string, ids: { aaguid?: string; keyIds?: string[] }, source = 'mds:5'): MetadataEntry => ({
  ...(ids.aaguid === undefined ? {} : { aaguid: ids.aaguid }),
  ...(ids.keyIds === undefined ? {} : { attestationCertificateKeyIdentifiers: ids.keyIds }),
  description,
  attestationRootCertificates: [],
  attestationTypes: ['basic_full'],
  statusReports: [],
  source,
  statement: { description },
});

const A = 'a7d6d93a-8a0d-11e8-9a94-a6cf71072f73';
const B = '08987058-cadc-4b81-b6e1-30de50dcbe96';
const K1 = '1434d2f277fe479c35ddf6aa4d08a07cbce99dd7';
const K2 = 'ffffffffffffffffffffffffffffffffffffffff';

describe('MetadataIndex', () => {
  const mds = [
    entry('MDS A', { aaguid: A }),
    entry('MDS B', { aaguid: B }),
    entry('MDS U2F', { keyIds: [K1, K2] }),
    entry('MDS UAF', {}),
  ];

  it('looks MDS entries up by AAGUID (any case, dashed or not) and key identifier (any case)', () => {
    const index = MetadataIndex.from(mds, []);
    expect(index.byAaguid(A)?.description).toBe('MDS A');
    expect(index.byAaguid(A.toUpperCase())?.description).toBe('MDS A');
    expect(index.byAaguid(A.replaceAll('-', ''))?.description).toBe('MDS A');
    expect(index.byAaguid('not-a-uuid')).toBeUndefined();
    expect(index.byAaguid('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(index.byKeyIdentifier(K2.toUpperCase())?.description).toBe('MDS U2F');
    expect(index.byKeyIdentifier(K1)).toBe(index.byKeyIdentifier(K2));
    expect(index.byKeyIdentifier('00')).toBeUndefined();
  });

  it('counts entries by kind, leaves UAF entries out and lists each entry once', () => {
    const index = MetadataIndex.from(mds, []);
    expect(index.counts).toEqual({ aaguid: 2, keyIdentifier: 1, uafSkipped: 1 });
    expect(index.size).toBe(3);
    expect(index.entries().map((item) => item.description)).toEqual(['MDS A', 'MDS B', 'MDS U2F']);
  });

  it('lets a local entry override the MDS entry for the same AAGUID or key identifier, and only that', () => {
    const local = [
      entry('Local A', { aaguid: A.toUpperCase() }, 'a.json'),
      entry('Local K1', { keyIds: [K1.toUpperCase()] }, 'k.json'),
    ];
    const index = MetadataIndex.from(mds, local);
    expect(index.byAaguid(A)?.description).toBe('Local A');
    expect(index.byAaguid(B)?.description).toBe('MDS B');
    expect(index.byKeyIdentifier(K1)?.description).toBe('Local K1');
    expect(index.byKeyIdentifier(K2)?.description).toBe('MDS U2F');
    expect(
      index
        .entries()
        .map((item) => item.description)
        .sort(),
    ).toEqual(['Local A', 'Local K1', 'MDS B', 'MDS U2F']);
    expect(index.counts).toEqual({ aaguid: 2, keyIdentifier: 2, uafSkipped: 1 });
    expect(index.warnings).toEqual([]);
  });

  it('works with local entries only, the later of two for one AAGUID winning with a warning', () => {
    const index = MetadataIndex.from(
      [],
      [entry('first', { aaguid: A }, 'a.json'), entry('second', { aaguid: A }, 'b.json')],
    );
    expect(index.byAaguid(A)?.description).toBe('second');
    expect(index.size).toBe(1);
    expect(index.warnings).toEqual([`b.json replaces another local entry for ${A}`]);
  });
});

describe('normalizeAaguid', () => {
  it('gives dashed lower case, or undefined for what is not a UUID', () => {
    expect(normalizeAaguid('A7D6D93A8A0D11E89A94A6CF71072F73')).toBe(A);
    expect(normalizeAaguid(A)).toBe(A);
    expect(normalizeAaguid(`${A}0`)).toBeUndefined();
    expect(normalizeAaguid('a7d6d93a-8a0d11e8-9a94-a6cf71072f73')).toBeUndefined();
  });
});
