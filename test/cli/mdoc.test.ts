import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDocumentSigner } from '../../src/features/provisioning/issuer/issuer-ca-directory.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-mdoc-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Each test its own data directory (SQLite at <dataDir>/keyward.db, development keys under it). */
const dataDir = () => mkdtempSync(join(work, 'data-'));
const kw = (dir: string, args: string[]) => runCli([...args, '--data-dir', dir]);
const json = (result: { code: number | null; stdout: string; stderr: string }) => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

describe('keyward mdoc ca', { timeout: 120_000 }, () => {
  it('init writes an Annex B issuer the loader accepts, never overwrites; show reads it back from configuration', async () => {
    const out = join(work, 'issuer');
    const created = json(
      await runCli([
        'mdoc',
        'ca',
        'init',
        '--out',
        out,
        '--country',
        'AT',
        '--organization',
        'Test Authority',
        '--crl-url',
        'https://issuer.example/iaca.crl',
      ]),
    );
    const files = created.configuration;
    expect(statSync(join(out, 'iaca.key.pem')).mode & 0o777).toBe(0o600);
    const signer = loadDocumentSigner(
      {
        iacaCertificate: readFileSync(files['provisioning.issuer.iacaCertificateFile'], 'utf8'),
        documentSignerCertificate: readFileSync(files['provisioning.issuer.documentSignerCertificateFile'], 'utf8'),
        documentSignerKey: readFileSync(files['provisioning.issuer.documentSignerKeyFile'], 'utf8'),
      },
      { at: Date.now() },
    );
    expect(signer.iaca.subject).toContain('Test Authority');

    const again = await runCli(['mdoc', 'ca', 'init', '--out', out]);
    expect(again.code).toBe(2);

    const config = join(work, 'issuer.json');
    writeFileSync(
      config,
      JSON.stringify({
        provisioning: {
          issuer: {
            iacaCertificateFile: files['provisioning.issuer.iacaCertificateFile'],
            documentSignerCertificateFile: files['provisioning.issuer.documentSignerCertificateFile'],
            documentSignerKeyFile: files['provisioning.issuer.documentSignerKeyFile'],
          },
        },
      }),
    );
    const shown = json(await kw(dataDir(), ['mdoc', 'ca', 'show', '--config', config]));
    expect(shown.source).toEqual({ configured: 'provisioning.issuer' });
    expect(shown.iaca.sha256Fingerprint).toBe(signer.iaca.fingerprint);
    expect(shown.iaca.annexB.country).toBe('AT');
    expect(shown.iaca.annexB.crlUrls).toEqual(['https://issuer.example/iaca.crl']);
    expect(shown.documentSigner.annexB.extendedKeyUsage).toEqual(['1.0.18013.5.1.2']);
    expect(shown.documentSigner.annexB.authorityKeyIdentifier).toBe(shown.iaca.annexB.subjectKeyIdentifier);

    const badCountry = await runCli(['mdoc', 'ca', 'init', '--out', join(work, 'bad'), '--country', 'Germany']);
    expect(badCountry.code).toBe(2);
    expect(badCountry.stderr).toMatch(/country/);
  });

  it('show without files generates the development issuer once and reuses it', async () => {
    const dir = dataDir();
    const first = json(await kw(dir, ['mdoc', 'ca', 'show']));
    expect(first.source).toEqual({ development: join(dir, 'keys', 'mdoc-issuer'), created: true });
    const second = json(await kw(dir, ['mdoc', 'ca', 'show']));
    expect(second.source.created).toBe(false);
    expect(second.documentSigner.sha256Fingerprint).toBe(first.documentSigner.sha256Fingerprint);
  });
});

describe('keyward mdoc records', { timeout: 120_000 }, () => {
  it('persons, documents and codes round-trip; update, delete and revoke change state', async () => {
    const dir = dataDir();
    const person = json(await kw(dir, ['mdoc', 'persons', 'add', 'Max Muster']));
    expect(json(await kw(dir, ['mdoc', 'persons', 'list', '--search', 'MUSTER'])).items).toEqual([person]);

    const data = {
      nameSpaces: {
        'org.iso.18013.5.1': {
          family_name: 'Muster',
          birth_date: { fullDate: '1970-01-02' },
          portrait: { bytes: Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64') },
          driving_privileges: [{ vehicle_category_code: 'B', issue_date: { fullDate: '2020-01-01' } }],
        },
      },
    };
    const file = join(work, 'data.json');
    writeFileSync(file, JSON.stringify(data));
    const document = json(
      await kw(dir, [
        'mdoc',
        'documents',
        'add',
        '--person',
        person.id,
        '--doc-type',
        'org.iso.18013.5.1.mDL',
        '--data',
        file,
      ]),
    );
    expect(document.data).toEqual({ accessControlProfiles: [{ id: 0 }], ...data });
    expect(json(await kw(dir, ['mdoc', 'documents', 'list', '--person', person.id])).items).toEqual([document]);

    const code = json(await kw(dir, ['mdoc', 'codes', 'issue', '--document', document.id, '--ttl', '600']));
    expect(code.code).toMatch(/^\d{20}$/);
    expect(Date.parse(code.expiresAt) - Date.parse(code.createdAt)).toBe(600_000);
    const defaultTtl = json(await kw(dir, ['mdoc', 'codes', 'issue', '--document', document.id]));
    expect(Date.parse(defaultTtl.expiresAt) - Date.parse(defaultTtl.createdAt)).toBe(2_592_000_000);
    expect(json(await kw(dir, ['mdoc', 'codes', 'list', '--document', document.id])).total).toBe(2);

    const revoked = json(await kw(dir, ['mdoc', 'codes', 'revoke', code.code]));
    expect(revoked.state).toBe('revoked');
    const twice = await kw(dir, ['mdoc', 'codes', 'revoke', code.code]);
    expect(twice.code).toBe(1);
    expect(JSON.parse(twice.stdout).outcome).toBe('not-revocable');

    writeFileSync(file, JSON.stringify({ nameSpaces: { 'org.iso.18013.5.1': { family_name: 'Muster-Neu' } } }));
    const updated = json(await kw(dir, ['mdoc', 'documents', 'update', document.id, '--data', file]));
    expect(updated.data.nameSpaces['org.iso.18013.5.1']).toEqual({ family_name: 'Muster-Neu' });
    expect(Date.parse(updated.dataTimestamp)).toBeGreaterThan(Date.parse(document.dataTimestamp));

    const deleted = json(await kw(dir, ['mdoc', 'documents', 'delete', document.id]));
    expect(deleted.status).toBe('to_delete');
    const shown = json(await kw(dir, ['mdoc', 'persons', 'show', person.id]));
    expect(shown.documents[0].status).toBe('to_delete');
    expect(shown.documents[0].codes.map((item: { state: string }) => item.state).sort()).toEqual([
      'revoked',
      'revoked',
    ]);
  });

  it('seed-test-data loads Erika Mustermann (1001) and John Doe (2001) once', async () => {
    const dir = dataDir();
    const first = json(await kw(dir, ['mdoc', 'seed-test-data']));
    expect(first.map((entry: { name: string; code: string }) => [entry.name, entry.code])).toEqual([
      ['Erika Mustermann', '1001'],
      ['John Doe', '2001'],
    ]);
    expect(first.every((entry: { added: Record<string, boolean> }) => Object.values(entry.added).every(Boolean))).toBe(
      true,
    );
    const second = json(await kw(dir, ['mdoc', 'seed-test-data']));
    expect(second.map((entry: { documentId: string }) => entry.documentId)).toEqual(
      first.map((entry: { documentId: string }) => entry.documentId),
    );
    expect(second.every((entry: { added: Record<string, boolean> }) => !Object.values(entry.added).some(Boolean))).toBe(
      true,
    );
    expect(json(await kw(dir, ['mdoc', 'persons', 'list'])).total).toBe(2);
    const codes = json(await kw(dir, ['mdoc', 'codes', 'list']));
    expect(codes.items.map((item: { code: string }) => item.code).sort()).toEqual(['1001', '2001']);
    expect(codes.items.every((item: { state: string }) => item.state === 'usable')).toBe(true);

    const erika = json(await kw(dir, ['mdoc', 'persons', 'show', first[0].personId]));
    const mdl = erika.documents[0];
    expect(mdl.docType).toBe('org.iso.18013.5.1.mDL');
    const elements = mdl.data.nameSpaces['org.iso.18013.5.1'];
    expect(elements.family_name).toBe('Mustermann');
    expect(elements.birth_date).toEqual({ fullDate: '1964-08-12' });
    const portrait = Buffer.from(elements.portrait.bytes, 'base64');
    expect([...portrait.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect([...portrait.subarray(-2)]).toEqual([0xff, 0xd9]);
    expect(elements.driving_privileges[0]).toMatchObject({ vehicle_category_code: 'A' });
    expect(mdl.data.nameSpaces['org.aamva.18013.5.1']).toEqual({ real_id: true });
  });

  it('exits 2 on bad data, unknown ids and missing arguments', async () => {
    const dir = dataDir();
    const person = json(await kw(dir, ['mdoc', 'persons', 'add', 'Someone']));
    const file = join(work, 'bad.json');
    writeFileSync(file, JSON.stringify({ nameSpaces: { n: { birth_date: { fullDate: '12.08.1964' } } } }));
    const badData = await kw(dir, [
      'mdoc',
      'documents',
      'add',
      '--person',
      person.id,
      '--doc-type',
      't',
      '--data',
      file,
    ]);
    expect(badData.code).toBe(2);
    expect(badData.stderr).toMatch(/n\/birth_date.*YYYY-MM-DD/);
    writeFileSync(file, '{not json');
    expect(
      (await kw(dir, ['mdoc', 'documents', 'add', '--person', person.id, '--doc-type', 't', '--data', file])).code,
    ).toBe(2);
    const missing = await kw(dir, [
      'mdoc',
      'documents',
      'add',
      '--person',
      person.id,
      '--doc-type',
      't',
      '--data',
      join(work, 'none.json'),
    ]);
    expect(missing.code).toBe(2);
    const unknown = await kw(dir, ['mdoc', 'persons', 'show', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/No such person/);
    expect((await kw(dir, ['mdoc', 'codes', 'issue', '--document', 'none'])).code).toBe(2);
    expect((await kw(dir, ['mdoc', 'codes', 'issue', '--document', 'x', '--ttl', 'soon'])).code).toBe(2);
    expect((await kw(dir, ['mdoc', 'codes', 'revoke', 'never-issued'])).code).toBe(2);
    expect((await kw(dir, ['mdoc', 'documents', 'add', '--person', person.id])).code).toBe(2);
  });
});
