import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryFromStatement, isUafEntry, parseDate } from './statement.js';

const realEntries: Record<string, unknown>[] = (() => {
  const jwt = readFileSync(new URL('../../../../test/vectors/mds/mds3-blob-2021-no9.jwt', import.meta.url), 'utf8');
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')).entries;
})();

/** The GlobalSign R3 root (any real certificate does) as base64 DER. */
const ROOT = readFileSync(new URL('../../../../assets/roots/globalsign-root-r3.pem', import.meta.url), 'utf8')
  .replace(/-----[A-Z ]+-----/g, '')
  .replace(/\s+/g, '');

const statement = (overrides: Record<string, unknown> = {}) => ({
  legalHeader: 'https://fidoalliance.org/metadata/metadata-statement-legal-header/',
  aaguid: 'A7D6D93A-8A0D-11E8-9A94-A6CF71072F73',
  description: 'Local test authenticator',
  authenticatorVersion: 1,
  protocolFamily: 'fido2',
  schema: 3,
  attestationTypes: ['basic_full'],
  attestationRootCertificates: [ROOT],
  ...overrides,
});

const mdsEntry = (overrides: Record<string, unknown> = {}, statementOverrides: Record<string, unknown> = {}) => ({
  aaguid: 'a7d6d93a-8a0d-11e8-9a94-a6cf71072f73',
  metadataStatement: statement(statementOverrides),
  statusReports: [{ status: 'FIDO_CERTIFIED_L1', effectiveDate: '2020-05-01', certificationDescriptor: 'x' }],
  timeOfLastStatusChange: '2020-05-01',
  ...overrides,
});

const invalid = (json: unknown, field: string) => {
  try {
    entryFromStatement(json, 'test');
  } catch (error) {
    expect(error).toMatchObject({ category: 'CONTENT', code: 'METADATA_STATEMENT_INVALID' });
    expect((error as Error).message).toContain(field);
    return;
  }
  throw new Error(`expected ${field} to be refused`);
};

describe('entryFromStatement', () => {
  it('converts a real U2F BLOB entry, its key identifiers, status reports and line-broken root certificate', () => {
    const raw = realEntries[0]!;
    const entry = entryFromStatement(raw, 'mds:9');
    expect(entry).toMatchObject({
      attestationCertificateKeyIdentifiers: ['1434d2f277fe479c35ddf6aa4d08a07cbce99dd7'],
      description: 'NEOWAVE Winkeo FIDO2',
      attestationTypes: ['basic_full'],
      source: 'mds:9',
    });
    expect(entry.aaguid).toBeUndefined();
    expect(entry.statement).toBe(raw.metadataStatement);
    const roots = (raw.metadataStatement as { attestationRootCertificates: string[] }).attestationRootCertificates;
    expect(roots[0]).toMatch(/^\n\nMIIC/);
    expect(entry.attestationRootCertificates).toEqual(roots.map((root) => root.replace(/\s+/g, '')));
    expect(entry.statusReports.length).toBeGreaterThan(0);
    for (const report of entry.statusReports) expect(report.effectiveDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('converts every entry of the real BLOB', () => {
    const entries = realEntries.map((raw) => entryFromStatement(raw, 'mds:9'));
    expect(entries.filter((entry) => entry.aaguid !== undefined)).toHaveLength(46);
    expect(entries.filter(isUafEntry)).toHaveLength(17);
  });

  it('reads an MDS entry: lower-case AAGUID, status reports with the certification level they grant', () => {
    const entry = entryFromStatement(
      mdsEntry({
        statusReports: [
          { status: 'FIDO_CERTIFIED', effectiveDate: '2019-01-01' },
          { status: 'FIDO_CERTIFIED_L2', effectiveDate: '2020-05-01', url: 'https://example.test/cert' },
          { status: 'ATTESTATION_KEY_COMPROMISE', certificate: `${ROOT.slice(0, 64)}\n${ROOT.slice(64)}` },
        ],
      }),
      'mds:3',
    );
    expect(entry.aaguid).toBe('a7d6d93a-8a0d-11e8-9a94-a6cf71072f73');
    expect(entry.statusReports).toEqual([
      { status: 'FIDO_CERTIFIED', effectiveDate: '2019-01-01', certificationLevel: 'FIDO_CERTIFIED_L1' },
      {
        status: 'FIDO_CERTIFIED_L2',
        effectiveDate: '2020-05-01',
        url: 'https://example.test/cert',
        certificationLevel: 'FIDO_CERTIFIED_L2',
      },
      { status: 'ATTESTATION_KEY_COMPROMISE', certificate: ROOT },
    ]);
  });

  it('reads a bare metadata statement (the local folder) without status reports', () => {
    const entry = entryFromStatement(statement(), 'yubikey.json');
    expect(entry).toMatchObject({
      aaguid: 'a7d6d93a-8a0d-11e8-9a94-a6cf71072f73',
      description: 'Local test authenticator',
      attestationRootCertificates: [ROOT],
      statusReports: [],
      source: 'yubikey.json',
    });
    const u2f = entryFromStatement(
      statement({
        aaguid: undefined,
        attestationCertificateKeyIdentifiers: ['ABCDEF0123456789ABCDEF0123456789ABCDEF01'],
      }),
      'u2f.json',
    );
    expect(u2f.attestationCertificateKeyIdentifiers).toEqual(['abcdef0123456789abcdef0123456789abcdef01']);
  });

  it('keeps UAF entries (AAID only), marked as such', () => {
    const uaf = entryFromStatement(
      mdsEntry({ aaguid: undefined, aaid: '4e4e#4005' }, { aaguid: undefined, aaid: '4e4e#4005' }),
      'mds',
    );
    expect(isUafEntry(uaf)).toBe(true);
    invalid(statement({ aaguid: undefined, aaid: '4e4e-4005' }), 'aaid');
  });

  it('refuses, naming the field, what Keyward relies on when missing or malformed', () => {
    invalid(null, 'document');
    invalid([], 'document');
    invalid(mdsEntry({ metadataStatement: 'x' }), 'metadataStatement');
    invalid(statement({ aaguid: 'a7d6d93a8a0d11e89a94a6cf71072f73' }), 'aaguid');
    invalid(statement({ aaguid: 42 }), 'aaguid');
    invalid(mdsEntry({ aaguid: '00000000-0000-0000-0000-000000000001' }), 'aaguid');
    invalid(statement({ aaguid: undefined }), 'identifier');
    invalid(statement({ attestationCertificateKeyIdentifiers: [] }), 'attestationCertificateKeyIdentifiers');
    invalid(statement({ attestationCertificateKeyIdentifiers: ['xyz'] }), 'attestationCertificateKeyIdentifiers[0]');
    invalid(statement({ description: undefined }), 'description');
    invalid(statement({ attestationRootCertificates: undefined }), 'attestationRootCertificates');
    invalid(statement({ attestationRootCertificates: [ROOT, 'not base64!'] }), 'attestationRootCertificates[1]');
    invalid(
      statement({ attestationRootCertificates: [Buffer.from('not DER').toString('base64')] }),
      'attestationRootCertificates[0]',
    );
    invalid(statement({ attestationRootCertificates: [ROOT.slice(0, -8)] }), 'attestationRootCertificates[0]');
    invalid(statement({ attestationTypes: 'basic_full' }), 'attestationTypes');
    invalid(mdsEntry({ statusReports: undefined }), 'statusReports');
    invalid(mdsEntry({ statusReports: [{ effectiveDate: '2020-01-01' }] }), 'statusReports[0].status');
    invalid(
      mdsEntry({ statusReports: [{ status: 'REVOKED', effectiveDate: '2020-02-30' }] }),
      'statusReports[0].effectiveDate',
    );
    invalid(mdsEntry({ statusReports: [{ status: 'REVOKED', certificate: '%%%' }] }), 'statusReports[0].certificate');
  });
});

describe('parseDate', () => {
  it('reads real YYYY-MM-DD dates as UTC midnight and nothing else', () => {
    expect(parseDate('2021-12-01')).toBe(Date.UTC(2021, 11, 1));
    expect(parseDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    for (const bad of ['2023-02-29', '2021-13-01', '2021-12-1', '2021-12-01T00:00:00Z', ''])
      expect(parseDate(bad)).toBeUndefined();
  });
});
