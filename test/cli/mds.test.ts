import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, skipWithoutPostgres, sqliteDatabase, type TestDatabase } from '../helpers/backends.js';
import { runCli } from '../helpers/cli.js';
import { vectorPath } from '../helpers/vectors.js';
import { MetadataPki, dateAfter, localStatement, mdsEntry } from '../fido2/metadata-pki.js';

const REAL_BLOB = vectorPath('mds/mds3-blob-2021-no9.jwt');
const FAKE_BLOB = vectorPath('mds/conformance-fake-blob.jwt');
const AAGUID_A = '0a6b4e3c-1111-4a2b-8c3d-000000000001';
const AAGUID_LOCAL = '0a6b4e3c-4444-4a2b-8c3d-000000000004';
const NOW = Date.now();

const work = mkdtempSync(join(tmpdir(), 'keyward-mds-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A crafted BLOB under a test PKI, with its root and CRLs as files (the CRL URLs are never fetched). */
const pki = new MetadataPki('http://127.0.0.1:1/crl', NOW);
const file = (name: string, content: string | Uint8Array) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};
const rootFile = file('root.pem', pki.rootPem);
const rootCrl = file('root.crl', pki.rootCrl());
const intermediateCrl = file('intermediate.crl', pki.intermediateCrl());
const revokingCrl = file('root-revoking.crl', pki.rootCrl(true));
const blobFile = file(
  'blob-5.jwt',
  pki.blob({
    no: 5,
    nextUpdate: dateAfter(NOW, 30),
    entries: [mdsEntry(AAGUID_A, 'Crafted authenticator A', pki.root.certificate, 'FIDO_CERTIFIED_L2')],
  }),
);

const json = (stdout: string) => JSON.parse(stdout);

describe('keyward mds verify', () => {
  it('verifies the real 2021 BLOB at 2021-11-15 without CRLs', async () => {
    const result = await runCli(['mds', 'verify', REAL_BLOB, '--at', '2021-11-15', '--no-crl']);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toMatchObject({
      verified: true,
      no: 9,
      nextUpdate: '2021-12-01',
      entries: 98,
      crlCheck: 'off',
      signer: expect.stringContaining('CN=mds.fidoalliance.org'),
      anchor: expect.stringContaining('GlobalSign Root CA - R3'),
    });
  });

  it('refuses the conformance fake BLOB for its untrusted root (exit 1)', async () => {
    const result = await runCli(['mds', 'verify', FAKE_BLOB, '--no-crl']);
    expect(result.code).toBe(1);
    expect(json(result.stdout)).toMatchObject({
      verified: false,
      category: 'TRUST',
      code: 'UNTRUSTED_ROOT',
      message: expect.any(String),
    });
  });

  it('refuses the real BLOB once it is past nextUpdate plus the grace days', async () => {
    const result = await runCli(['mds', 'verify', REAL_BLOB, '--at', '2021-12-09', '--no-crl', '--grace-days', '7']);
    expect(result.code).toBe(1);
    expect(json(result.stdout)).toMatchObject({ verified: false, category: 'TIME', code: 'METADATA_BLOB_STALE' });
  });

  it('verifies a BLOB under a configured root against CRL files, which are then required', async () => {
    const ok = await runCli([
      'mds',
      'verify',
      blobFile,
      '--root',
      rootFile,
      '--crl',
      rootCrl,
      '--crl',
      intermediateCrl,
    ]);
    expect(ok.code).toBe(0);
    expect(json(ok.stdout)).toMatchObject({ verified: true, no: 5, entries: 1, crlCheck: 'required', warnings: [] });

    const missing = await runCli(['mds', 'verify', blobFile, '--root', rootFile, '--crl', rootCrl]);
    expect(missing.code).toBe(1);
    expect(json(missing.stdout)).toMatchObject({ verified: false, code: 'METADATA_CRL_UNAVAILABLE' });

    const lenient = await runCli([
      'mds',
      'verify',
      blobFile,
      '--root',
      rootFile,
      '--crl',
      rootCrl,
      '--crl-check',
      'ifAvailable',
    ]);
    expect(lenient.code).toBe(0);
    expect(json(lenient.stdout).warnings).toEqual([
      expect.stringContaining('offline'),
      expect.stringContaining('revocation not checked'),
    ]);
  });

  it('refuses a BLOB whose intermediate a CRL file revokes', async () => {
    const result = await runCli([
      'mds',
      'verify',
      blobFile,
      '--root',
      rootFile,
      '--crl',
      revokingCrl,
      '--crl-check',
      'ifAvailable',
    ]);
    expect(result.code).toBe(1);
    expect(json(result.stdout)).toMatchObject({
      verified: false,
      category: 'TRUST',
      code: 'METADATA_CERTIFICATE_REVOKED',
    });
  });

  it.each([
    [['mds', 'verify', join(work, 'missing.jwt'), '--no-crl'], /cannot read BLOB/],
    [['mds', 'verify', REAL_BLOB, '--at', 'yesterday'], /not an ISO-8601 time/],
    [['mds', 'verify', REAL_BLOB, '--no-crl', '--crl-check', 'required'], /--no-crl contradicts --crl-check/],
    [['mds', 'verify', REAL_BLOB, '--root', join(work, 'missing.pem')], /--root: cannot read/],
    [['mds', 'verify', REAL_BLOB, '--crl', rootFile], /root\.pem is not a CRL/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});

const BACKENDS = [
  { name: 'SQLite', database: sqliteDatabase, skip: false },
  { name: 'PostgreSQL', database: postgresDatabase, skip: skipWithoutPostgres },
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`keyward mds status, refresh and lookup on ${backend.name}`, () => {
    let database: TestDatabase;
    let config: string;
    beforeAll(() => {
      database = backend.database();
      const folder = join(database.config.dataDir, 'metadata');
      mkdirSync(folder);
      writeFileSync(
        join(folder, 'local.json'),
        JSON.stringify(localStatement(AAGUID_LOCAL, 'Local authenticator', pki.root.certificate)),
      );
      writeFileSync(join(folder, 'broken.json'), '{');
      config = join(database.config.dataDir, 'keyward.json');
      writeFileSync(
        config,
        JSON.stringify({
          ...database.config,
          logLevel: 'warn',
          fido2: {
            mds: {
              servers: [],
              blobFile,
              rootFiles: [rootFile],
              crlFiles: [rootCrl, intermediateCrl],
              crlCheck: 'required',
              folder,
            },
          },
        }),
      );
    });
    afterAll(() => database.remove());

    const mds = (...args: string[]) => runCli(['mds', ...args, '--config', config]);

    it('reports no BLOB before one is loaded (exit 1), with the local folder', async () => {
      const result = await mds('status');
      expect(result.code).toBe(1);
      expect(json(result.stdout)).toMatchObject({ status: 'missing', entries: 0, localEntries: 1, stored: [] });
      expect(result.stderr).toMatch(/METADATA_STATEMENT_UNREADABLE/);
    });

    it('refreshes from the offline file, verifying and storing it, once', async () => {
      const first = await mds('refresh');
      expect(first.code).toBe(0);
      expect(json(first.stdout)).toMatchObject({
        outcome: 'stored',
        status: 'current',
        no: 5,
        nextUpdate: dateAfter(NOW, 30),
        entries: 1,
        source: blobFile,
      });
      const again = await mds('refresh');
      expect(again.code).toBe(0);
      expect(json(again.stdout)).toMatchObject({ outcome: 'unchanged', no: 5 });
    });

    it('shows the stored BLOB', async () => {
      const result = await mds('status');
      expect(result.code).toBe(0);
      expect(json(result.stdout)).toMatchObject({
        status: 'current',
        no: 5,
        entries: 1,
        localEntries: 1,
        stored: [{ no: 5, source: blobFile, entries: 1, nextUpdate: dateAfter(NOW, 30) }],
      });
    });

    it('looks authenticators up in the BLOB and in the local folder', async () => {
      const [found, local, unknown, nonsense] = await Promise.all([
        mds('lookup', AAGUID_A.toUpperCase()),
        mds('lookup', AAGUID_LOCAL.replace(/-/g, '')),
        mds('lookup', 'ffffffffffffffffffffffffffffffffffffffff'),
        mds('lookup', 'not-an-id'),
      ]);
      expect(found.code).toBe(0);
      expect(json(found.stdout)).toMatchObject({
        found: true,
        aaguid: AAGUID_A,
        description: 'Crafted authenticator A',
        source: 'mds:5',
        statuses: ['FIDO_CERTIFIED_L2'],
        certificationLevel: 'FIDO_CERTIFIED_L2',
        refused: false,
        roots: [
          { subject: expect.stringContaining('CN=Test MDS Root'), fingerprint: pki.root.certificate.fingerprint },
        ],
        metadata: { status: 'current', no: 5 },
      });
      expect(local.code).toBe(0);
      expect(json(local.stdout)).toMatchObject({
        found: true,
        description: 'Local authenticator',
        source: 'local:local.json',
      });
      expect(unknown.code).toBe(1);
      expect(json(unknown.stdout)).toMatchObject({
        found: false,
        keyIdentifier: 'ffffffffffffffffffffffffffffffffffffffff',
      });
      expect(nonsense.code).toBe(2);
    });

    it('refreshes from --blob-file; a refused BLOB fails the refresh and keeps the stored one', async () => {
      const newer = file(
        `blob-6-${backend.name}.jwt`,
        pki.blob({
          no: 6,
          nextUpdate: dateAfter(NOW, 30),
          entries: [mdsEntry(AAGUID_A, 'Newer', pki.root.certificate)],
        }),
      );
      const stored = await runCli(['mds', 'refresh', '--config', config, '--blob-file', newer]);
      expect(stored.code).toBe(0);
      expect(json(stored.stdout)).toMatchObject({ outcome: 'stored', no: 6, source: newer });
      const other = new MetadataPki('http://127.0.0.1:1/crl', NOW);
      const foreign = file(
        `blob-7-${backend.name}.jwt`,
        other.blob({ no: 7, nextUpdate: dateAfter(NOW, 30), entries: [] }),
      );
      const result = await runCli(['mds', 'refresh', '--config', config, '--blob-file', foreign]);
      expect(result.code).toBe(1);
      expect(json(result.stdout)).toMatchObject({
        outcome: 'failed',
        status: 'current',
        no: 6,
        lastError: { code: 'UNTRUSTED_ROOT' },
      });
    });
  });
}
