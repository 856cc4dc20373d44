import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyMdoc } from '../../src/attestation/mdoc/verify.js';
import { TrustAnchors } from '../../src/crypto/x509/chain.js';
import { encodeDocumentData } from '../../src/features/provisioning/document-data.js';
import { erika, MDL, MDL_NS } from '../../src/simulator/provisioning/contract/fixtures.js';
import { openStore, type Store } from '../../src/store/store.js';
import { runCli, serve, type ServeProcess } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-simulate-provisioning-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The sandbox is offline: Android revocation list fetching is off for these servers. */
const OFFLINE = { KEYWARD_ANDROID_REVOCATION_ENABLED: 'false' };
const DAY = 86_400_000;

const simulate = (server: ServeProcess, ...args: string[]) =>
  runCli(['simulate', 'provisioning', '--url', server.url, ...args]);

describe('keyward simulate provisioning against keyward serve --trust-simulator-roots', () => {
  let server: ServeProcess;
  let store: Store;
  let documentId: string;

  /** A fresh provisioning code for Erika's mDL, written into the server's SQLite database. */
  const issueCode = async () => {
    const code = `cli-${randomUUID().slice(0, 8)}`;
    const now = Date.now();
    expect(await store.mdocRecords.addCode({ code, documentId, createdAt: now, expiresAt: now + DAY })).toBe(true);
    return code;
  };

  beforeAll(async () => {
    const cwd = mkdtempSync(join(work, 'serve-'));
    server = await serve(['--trust-simulator-roots'], { cwd, env: OFFLINE });
    // The server made and migrated <cwd>/data/keyward.db; the test writes the system of record beside it (WAL).
    store = await openStore({ url: `sqlite:${join(cwd, 'data', 'keyward.db')}`, schema: '' });
    const now = Date.now();
    const personId = randomUUID();
    documentId = randomUUID();
    await store.mdocRecords.addPerson({ id: personId, name: 'Erika Mustermann', createdAt: now });
    await store.mdocRecords.addDocument({
      id: documentId,
      personId,
      docType: MDL,
      data: encodeDocumentData(erika()),
      dataTimestamp: now - 1000,
      status: 'active',
      createdAt: now - 1000,
      updatedAt: now - 1000,
    });
  });
  afterAll(async () => {
    await store?.close();
    if (server) expect(await server.stop()).toBe(0);
  });

  it('runs the four flows, writes the presentation files, and device-response.cbor verifies against iaca.pem', async () => {
    const code = await issueCode();
    const out = join(work, 'out');
    const result = await simulate(server, '--code', code, '--out', out);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed).toMatchObject({
      provisioning: { reason: 'Success', docType: MDL },
      certify: { reason: 'Success', authKeys: 3 },
      update: { reason: 'Success', result: 'no_update' },
      delete: { reason: 'Success' },
      presentation: { dir: out, trust: 'iaca.pem' },
    });
    expect(printed.refused).toBeUndefined();
    for (const file of ['iaca.pem', 'issuer-signed.cbor', 'device-response.cbor', 'session-transcript.cbor']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect((await store.mdocRecords.codeState(code, Date.now())).state).toBe('used');
    // Deleted at the end: nothing configured remains for the document.
    expect(await store.mdocRecords.configuredForDocument(documentId)).toEqual([]);

    const anchors = new TrustAnchors(TrustAnchors.fromPem(readFileSync(join(out, 'iaca.pem'), 'utf8'), 'iaca.pem'));
    const verified = verifyMdoc(readFileSync(join(out, 'device-response.cbor')), {
      anchors,
      at: Date.now(),
      sessionTranscript: readFileSync(join(out, 'session-transcript.cbor')),
    });
    expect(verified.documents[0]).toMatchObject({ docType: MDL, deviceAuth: 'signature' });
    expect(verified.documents[0]!.namespaces[MDL_NS]).toMatchObject({ family_name: 'Mustermann' });
    expect(
      verifyMdoc(readFileSync(join(out, 'issuer-signed.cbor')), { anchors, at: Date.now() }).documents[0],
    ).toMatchObject({ docType: MDL, deviceAuth: 'absent' });

    // The reader's CLI agrees.
    const checked = await runCli([
      'verify',
      'mdoc',
      join(out, 'device-response.cbor'),
      '--trust',
      join(out, 'iaca.pem'),
      '--session-transcript',
      join(out, 'session-transcript.cbor'),
    ]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ verified: true, code: null });
  });

  it('certifies --auth-keys keys', async () => {
    const result = await simulate(server, '--code', await issueCode(), '--auth-keys', '2');
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed.certify).toMatchObject({ reason: 'Success', authKeys: 2 });
    expect(printed.presentation).toBeUndefined();
  });

  it('exits 1 when the issuer refuses (a used code), printing the refused flow', async () => {
    const code = await issueCode();
    expect((await simulate(server, '--code', code)).code).toBe(0);
    const again = await simulate(server, '--code', code);
    expect(again.code, again.stderr).toBe(1);
    const printed = JSON.parse(again.stdout);
    expect(printed.provisioning).toEqual({ reason: 'Failed' });
    expect(printed.refused).toEqual({ flow: 'provisioning', reason: 'Failed' });
    expect(printed.certify).toBeUndefined();
    expect(again.stderr).toMatch(/provisioning flow with Failed/);
    expect(server.logs.some((line) => JSON.stringify(line).includes('"PROVISIONING_CODE_USED"'))).toBe(true);
  });

  it.each([
    [['--code', '1001', '--auth-keys', '0']],
    [['--code', '1001', '--auth-keys', 'three']],
    [['--code', '']],
    [[]],
  ])('exits 2 on a usage mistake: %o', async (args) => {
    const result = await simulate(server, ...args);
    expect(result.code, result.stderr).toBe(2);
  });

  it('exits 2 when the server cannot be reached', async () => {
    const result = await runCli(['simulate', 'provisioning', '--url', 'http://127.0.0.1:9', '--code', '1001']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot complete the flow/);
  });
});

describe('keyward mdoc seed-test-data, then keyward simulate provisioning --code 1001', () => {
  let server: ServeProcess;
  let cwd: string;
  beforeAll(async () => {
    cwd = mkdtempSync(join(work, 'seeded-'));
    server = await serve(['--trust-simulator-roots'], { cwd, env: OFFLINE });
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  it("provisions Erika's mDL from the reference test data; the presentation verifies with keyward verify mdoc", async () => {
    const seeded = await runCli(['mdoc', 'seed-test-data'], { cwd, env: OFFLINE });
    expect(seeded.code, seeded.stderr).toBe(0);
    const out = join(cwd, 'out');
    const result = await simulate(server, '--code', '1001', '--auth-keys', '1', '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      provisioning: { reason: 'Success', docType: MDL },
      certify: { reason: 'Success', authKeys: 1 },
      update: { reason: 'Success', result: 'no_update' },
      delete: { reason: 'Success' },
    });
    const checked = await runCli([
      'verify',
      'mdoc',
      join(out, 'device-response.cbor'),
      '--trust',
      join(out, 'iaca.pem'),
      '--session-transcript',
      join(out, 'session-transcript.cbor'),
    ]);
    expect(checked.code, checked.stderr).toBe(0);
    const verified = JSON.parse(checked.stdout);
    expect(verified).toMatchObject({ verified: true, documents: [{ docType: MDL }] });
    expect(JSON.stringify(verified.documents[0].namespaces)).toContain('Mustermann');
    // The code is single use.
    const again = await simulate(server, '--code', '1001');
    expect(again.code, again.stderr).toBe(1);
  });
});
