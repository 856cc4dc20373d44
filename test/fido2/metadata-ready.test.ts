import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutPostgres } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FakeMetadataServer, MetadataPki, dateAfter, mdsEntry } from './metadata-pki.js';

const AAGUID = '0a6b4e3c-1111-4a2b-8c3d-000000000001';
const work = mkdtempSync(join(tmpdir(), 'keyward-metadata-ready-'));
const http = new FakeMetadataServer();
let pki: MetadataPki;
let rootFile: string;

beforeAll(async () => {
  await http.start();
  pki = new MetadataPki(http.url, Date.now());
  rootFile = join(work, 'root.pem');
  writeFileSync(rootFile, pki.rootPem);
});
afterAll(async () => {
  await http.stop();
  rmSync(work, { recursive: true, force: true });
});

async function ready(server: TestServer): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/ready`);
  return { status: response.status, body: await response.json() };
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const BACKENDS = [
  { name: 'SQLite', database: 'sqlite' as const, skip: false },
  { name: 'PostgreSQL', database: 'postgres' as const, skip: skipWithoutPostgres },
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`/ready reports the metadata state on ${backend.name}`, () => {
    let server: TestServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
      http.routes.clear();
      http.hits.clear();
    });

    const start = (mds: Record<string, unknown>) =>
      startTestServer({
        database: backend.database,
        options: {
          fido2: {
            mds: {
              servers: [{ url: `${http.url}/blob` }],
              rootFiles: [rootFile],
              storePollSeconds: 0,
              ...mds,
            },
          },
        },
      });

    it('starts while the metadata server is down, is ready meanwhile, and reports the BLOB once it arrives', async () => {
      http.serve('/blob', 'unavailable', 503);
      http.serve('/root.crl', pki.rootCrl());
      http.serve('/intermediate.crl', pki.intermediateCrl());
      server = await start({ startupRetries: 5, startupRetryDelaySeconds: 0.3 });
      const loading = await ready(server);
      expect(loading.status).toBe(200);
      expect(loading.body).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
      expect(loading.body.metadata).toMatchObject({ status: 'loading', entries: 0 });
      await until(async () => http.hitsOf('/blob') >= 1, 'the first download attempt');
      http.serve(
        '/blob',
        pki.blob({
          no: 8,
          nextUpdate: dateAfter(Date.now(), 30),
          entries: [mdsEntry(AAGUID, 'A', pki.root.certificate)],
        }),
      );
      await until(async () => (await ready(server!)).body.metadata?.status === 'current', 'the BLOB');
      const current = await ready(server);
      expect(current.status).toBe(200);
      expect(current.body.metadata).toMatchObject({
        status: 'current',
        no: 8,
        entries: 1,
        nextUpdate: dateAfter(Date.now(), 30),
        lastAttempt: { outcome: 'stored' },
      });
      expect(current.body.metadata.lastError).toBeUndefined();
      expect(server.logs.some((line) => line.code === 'METADATA_DOWNLOAD_FAILED')).toBe(true);
      expect(server.logs.some((line) => line.outcome === 'stored' && line.no === 8)).toBe(true);
    });

    it('stays ready when every start-up attempt failed, reporting why', async () => {
      http.serve('/blob', 'unavailable', 503);
      server = await start({ startupRetries: 2, startupRetryDelaySeconds: 0.05 });
      await until(async () => (await ready(server!)).body.metadata?.status === 'failed', 'the attempts to end');
      const failed = await ready(server);
      expect(failed.status).toBe(200);
      expect(failed.body.status).toBe('ready');
      expect(failed.body.metadata).toMatchObject({
        status: 'failed',
        entries: 0,
        lastAttempt: { outcome: 'failed' },
        lastError: { code: 'METADATA_DOWNLOAD_FAILED', message: expect.any(String) },
        nextAttemptAt: expect.any(String),
      });
      // Where it was downloaded from and why it failed are for the log only.
      expect(JSON.stringify(failed.body)).not.toContain(http.url);
      expect(failed.body.metadata.lastError).not.toHaveProperty('detail');
      expect(http.hitsOf('/blob')).toBe(2);
    });

    it('reports disabled metadata', async () => {
      server = await start({ enabled: false });
      const disabled = await ready(server);
      expect(disabled.status).toBe(200);
      expect(disabled.body.metadata).toEqual({ status: 'disabled', entries: 0, localEntries: 0 });
      expect(http.hitsOf('/blob')).toBe(0);
    });
  });
}
