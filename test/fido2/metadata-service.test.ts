import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { Fido2MetadataConfigSchema, type Fido2MetadataConfig } from '../../src/config/fido2-metadata.js';
import { metadataServiceFromConfig } from '../../src/features/fido2/metadata-from-config.js';
import { metadataReadiness } from '../../src/features/fido2/metadata-readiness.js';
import type { MetadataLog, MetadataService } from '../../src/features/fido2/metadata-service.js';
import { openStore, type Store } from '../../src/store/store.js';
import type { MetadataBlobStore } from '../../src/store/webauthn-store.js';
import { postgresDatabase, skipWithoutPostgres, sqliteDatabase, type TestDatabase } from '../helpers/backends.js';
import { FakeMetadataServer, MetadataPki, dateAfter, localStatement, mdsEntry } from './metadata-pki.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 10, 12);
const AAGUID_A = '0a6b4e3c-1111-4a2b-8c3d-000000000001';
const AAGUID_B = '0a6b4e3c-2222-4a2b-8c3d-000000000002';
const AAGUID_C = '0a6b4e3c-3333-4a2b-8c3d-000000000003';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

function collector(lines: LogLine[]): MetadataLog {
  const at = (level: LogLine['level']) => (fields: object, message: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls until `condition` holds (5 s at most). */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const BACKENDS = [
  { name: 'SQLite', database: sqliteDatabase, skip: false },
  { name: 'PostgreSQL', database: postgresDatabase, skip: skipWithoutPostgres },
];

const work = mkdtempSync(join(tmpdir(), 'keyward-metadata-service-'));
const http = new FakeMetadataServer();
let pki: MetadataPki;
let rootFile: string;

beforeAll(async () => {
  await http.start();
  pki = new MetadataPki(http.url, NOW);
  rootFile = join(work, 'test-root.pem');
  writeFileSync(rootFile, pki.rootPem);
});
afterAll(async () => {
  await http.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The BLOB server's normal state: CRLs that revoke nothing. */
function serveCrls(): void {
  http.serve('/root.crl', pki.rootCrl());
  http.serve('/intermediate.crl', pki.intermediateCrl());
}

const entries = (description = 'MDS') => [
  mdsEntry(AAGUID_A, `${description} A`, pki.root.certificate),
  mdsEntry(AAGUID_B, `${description} B`, pki.root.certificate),
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`metadata service on ${backend.name}`, () => {
    let database: TestDatabase;
    const opened: Store[] = [];
    const running: MetadataService[] = [];

    /** Another connection to this test's database (another instance's). */
    const store = async () => {
      const opening = await openStore({ url: database.config.databaseUrl, schema: database.config.databaseSchema });
      opened.push(opening);
      return opening;
    };

    function service(
      blobs: MetadataBlobStore,
      options: Partial<Fido2MetadataConfig> = {},
      clock = new FixedClock(NOW),
    ): { service: MetadataService; logs: LogLine[]; clock: FixedClock } {
      const config: Fido2MetadataConfig = {
        ...(Value.Default(Fido2MetadataConfigSchema, {}) as Fido2MetadataConfig),
        servers: [{ url: `${http.url}/blob` }],
        rootFiles: [rootFile],
        startupRetryDelaySeconds: 0.02,
        storePollSeconds: 0,
        fetchTimeoutMs: 2000,
        ...options,
      };
      const logs: LogLine[] = [];
      const built = metadataServiceFromConfig(config, { clock, store: blobs, log: collector(logs) });
      running.push(built);
      return { service: built, logs, clock };
    }

    const fresh = () => {
      database = backend.database();
      http.routes.clear();
      http.hits.clear();
      serveCrls();
    };

    afterEach(async () => {
      await Promise.all(running.splice(0).map((each) => each.stop()));
      await Promise.all(opened.splice(0).map((each) => each.close()));
      await database.remove();
    });

    it('downloads, verifies (CRLs included), stores and indexes the BLOB in the background', async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 5, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const blobs = (await store()).metadataBlobs;
      const { service: metadata, logs } = service(blobs);
      expect(metadata.lookup()).toBeUndefined();
      const started = await metadata.start();
      expect(started.status).toBe('loading');
      await until(() => metadata.state().status === 'current', 'the BLOB');
      expect(metadata.state()).toMatchObject({ no: 5, entries: 2, localEntries: 0, source: `${http.url}/blob` });
      expect(metadata.lookup()?.byAaguid(AAGUID_A)).toMatchObject({ description: 'MDS A', source: 'mds:5' });
      expect(metadata.lookup()?.byAaguid(AAGUID_C)).toBeUndefined();
      expect((await blobs.history()).map((blob) => blob.no)).toEqual([5]);
      expect([http.hitsOf('/blob'), http.hitsOf('/root.crl'), http.hitsOf('/intermediate.crl')]).toEqual([1, 1, 1]);
      expect(logs.find((line) => line.fields.outcome === 'stored')?.fields).toMatchObject({
        outcome: 'stored',
        no: 5,
        entries: 2,
      });
      expect(metadataReadiness(metadata.state())).toMatchObject({ status: 'current', no: 5, entries: 2 });
    });

    it('a second instance on the same database uses the stored BLOB without downloading it', async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 5, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const first = service((await store()).metadataBlobs).service;
      await first.start();
      await until(() => first.state().status === 'current', 'the first instance');
      const second = service((await store()).metadataBlobs).service;
      const state = await second.start();
      expect(state).toMatchObject({ status: 'current', no: 5, entries: 2 });
      expect(second.lookup()?.byAaguid(AAGUID_B)?.description).toBe('MDS B');
      expect(http.hitsOf('/blob')).toBe(1);
    });

    it('ignores a BLOB planted in the database: a stored BLOB is verified again before it is used', async () => {
      fresh();
      const blobs = (await store()).metadataBlobs;
      const genuine = pki.blob({ no: 7, nextUpdate: dateAfter(NOW, 30), entries: entries() });
      const [header, payload, signature] = genuine.split('.');
      const altered = Buffer.from(payload!, 'base64url').toString('utf8').replace('MDS A', 'Planted');
      const planted = [header, Buffer.from(altered).toString('base64url'), signature].join('.');
      const row = {
        no: 7,
        source: 'planted',
        nextUpdate: dateAfter(NOW, 30),
        entries: 2,
        verifiedAt: NOW,
        storedAt: NOW,
      };
      expect(await blobs.save({ ...row, jwt: planted })).toBe(true);
      const { service: metadata, logs } = service(blobs, { servers: [] });
      expect(await metadata.load()).toMatchObject({ status: 'missing', entries: 0 });
      expect(metadata.lookup()).toBeUndefined();
      expect(
        logs.find((line) => line.message === 'the stored metadata BLOB does not verify; ignoring it')?.fields.code,
      ).toBe('METADATA_BLOB_SIGNATURE_INVALID');
      // The genuine BLOB under the same row verifies and is used.
      expect(
        await blobs.save({
          ...row,
          no: 8,
          jwt: pki.blob({ no: 8, nextUpdate: dateAfter(NOW, 30), entries: entries() }),
        }),
      ).toBe(true);
      const { service: second } = service(blobs, { servers: [] });
      expect(await second.load()).toMatchObject({ status: 'current', no: 8, entries: 2 });
      expect(second.lookup()?.byAaguid(AAGUID_A)?.description).toBe('MDS A');
    });

    it('keeps the held BLOB when the server offers one whose no is not greater', async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 5, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const { service: metadata, logs } = service((await store()).metadataBlobs);
      await metadata.load();
      expect(await metadata.refresh()).toBe('stored');
      expect(await metadata.refresh()).toBe('unchanged');
      http.serve('/blob', pki.blob({ no: 4, nextUpdate: dateAfter(NOW, 40), entries: entries('Rolled back') }));
      expect(await metadata.refresh()).toBe('unchanged');
      expect(metadata.state()).toMatchObject({ status: 'current', no: 5, nextUpdate: dateAfter(NOW, 30) });
      expect(metadata.lookup()?.byAaguid(AAGUID_A)?.description).toBe('MDS A');
      expect(logs.filter((line) => line.fields.code === 'METADATA_BLOB_NOT_NEWER')).toHaveLength(2);
      http.serve('/blob', pki.blob({ no: 6, nextUpdate: dateAfter(NOW, 60), entries: entries('Newer') }));
      expect(await metadata.refresh()).toBe('stored');
      expect(metadata.lookup()?.byAaguid(AAGUID_A)?.description).toBe('Newer A');
    });

    it("takes another instance's newer BLOB when refreshing, and when polling the database", async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 5, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const first = service((await store()).metadataBlobs).service;
      const second = service((await store()).metadataBlobs).service;
      const third = service((await store()).metadataBlobs, { storePollSeconds: 1 }).service;
      await first.load();
      expect(await first.refresh()).toBe('stored');
      await second.load();
      await third.start();
      http.serve('/blob', pki.blob({ no: 6, nextUpdate: dateAfter(NOW, 60), entries: entries('Newer') }));
      expect(await second.refresh()).toBe('stored');
      const downloads = http.hitsOf('/blob');
      expect(await first.refresh()).toBe('adopted');
      expect(first.state()).toMatchObject({ no: 6, lastAttempt: { outcome: 'adopted' } });
      expect(first.lookup()?.byAaguid(AAGUID_A)?.description).toBe('Newer A');
      // On demand it still asks the server, which has nothing newer than what the database gave.
      expect(http.hitsOf('/blob')).toBe(downloads + 1);
      await until(() => third.state().no === 6, 'the polling instance');
      expect(third.lookup()?.byAaguid(AAGUID_B)?.description).toBe('Newer B');
    });

    it("uses another instance's BLOB when that one stored an equal one first (save refused)", async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 7, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const other = (await store()).metadataBlobs;
      const own = (await store()).metadataBlobs;
      // The other instance commits the same no between this one's check of the database and its save.
      const racing: MetadataBlobStore = {
        latest: () => own.latest(),
        history: () => own.history(),
        save: async (blob) => {
          expect(await other.save({ ...blob, source: 'the other instance' })).toBe(true);
          return own.save(blob);
        },
      };
      const { service: metadata, logs } = service(racing);
      await metadata.load();
      expect(await metadata.refresh()).toBe('superseded');
      expect(metadata.state()).toMatchObject({ status: 'current', no: 7, source: 'the other instance' });
      expect(logs.some((line) => line.fields.outcome === 'superseded')).toBe(true);
    });

    it('retries at start while the server is down, never blocking start, then takes the BLOB', async () => {
      fresh();
      http.serve('/blob', 'down for maintenance', 503);
      const { service: metadata, logs } = service((await store()).metadataBlobs, { startupRetryDelaySeconds: 0.2 });
      const state = await metadata.start();
      expect(state.status).toBe('loading');
      expect(metadataReadiness(state).status).toBe('loading');
      await until(() => http.hitsOf('/blob') === 1 && metadata.state().lastAttempt !== undefined, 'the first attempt');
      expect(metadata.state()).toMatchObject({
        status: 'loading',
        lastAttempt: { outcome: 'failed' },
        lastError: { code: 'METADATA_DOWNLOAD_FAILED' },
      });
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      await until(() => metadata.state().status === 'current', 'the second attempt');
      expect(http.hitsOf('/blob')).toBe(2);
      expect(metadata.state().lastError).toBeUndefined();
      expect(logs.find((line) => line.fields.code === 'METADATA_DOWNLOAD_FAILED')?.fields).toMatchObject({
        outcome: 'failed',
        source: `${http.url}/blob`,
        detail: expect.stringContaining('HTTP 503'),
      });
    });

    it('gives up after startupRetries, reports failed and schedules the next attempt', async () => {
      fresh();
      http.serve('/blob', 'no', 500);
      const { service: metadata, logs } = service((await store()).metadataBlobs, { startupRetries: 3 });
      await metadata.start();
      await until(() => metadata.state().status === 'failed', 'the attempts to end');
      expect(http.hitsOf('/blob')).toBe(3);
      const state = metadata.state();
      expect(state).toMatchObject({ lastError: { code: 'METADATA_DOWNLOAD_FAILED' }, entries: 0 });
      expect(state.nextAttemptAt).toBe(NOW + 3600 * 1000);
      expect(metadataReadiness(state)).toMatchObject({
        status: 'failed',
        lastError: { code: 'METADATA_DOWNLOAD_FAILED', message: 'The metadata BLOB could not be downloaded.' },
        nextAttemptAt: new Date(NOW + 3600 * 1000).toISOString(),
      });
      expect(logs.some((line) => line.level === 'error' && /exhausted/.test(line.message))).toBe(true);
      expect(metadata.lookup()).toBeUndefined();
    });

    it('tries the servers in order until one gives a BLOB that verifies', async () => {
      fresh();
      http.serve('/broken', 'not a JWT');
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const { service: metadata, logs } = service((await store()).metadataBlobs, {
        servers: [
          { url: 'http://127.0.0.1:1/unreachable' },
          { url: `${http.url}/broken` },
          { url: `${http.url}/blob` },
        ],
      });
      await metadata.load();
      expect(await metadata.refresh()).toBe('stored');
      expect(metadata.state().source).toBe(`${http.url}/blob`);
      expect(logs.filter((line) => line.fields.outcome === 'failed').map((line) => line.fields.code)).toEqual([
        'METADATA_DOWNLOAD_FAILED',
        'METADATA_BLOB_MALFORMED',
      ]);
    });

    it("trusts a server's own rootCertFile, and only the configured roots", async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const untrusted = service((await store()).metadataBlobs, { rootFiles: [] }).service;
      await untrusted.load();
      expect(await untrusted.refresh()).toBe('failed');
      expect(untrusted.state()).toMatchObject({ status: 'failed', lastError: { code: 'UNTRUSTED_ROOT' } });
      const own = service((await store()).metadataBlobs, {
        rootFiles: [],
        servers: [{ url: `${http.url}/blob`, rootCertFile: rootFile }],
      }).service;
      await own.load();
      expect(await own.refresh()).toBe('stored');
    });

    it('stops trusting a BLOB past nextUpdate + graceDays: only the local folder is used then', async () => {
      fresh();
      const folder = join(work, `stale-${backend.name}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'c.json'), JSON.stringify(localStatement(AAGUID_C, 'Local C', pki.root.certificate)));
      http.serve('/blob', pki.blob({ no: 5, nextUpdate: dateAfter(NOW, 1), entries: entries() }));
      const { service: metadata, clock } = service((await store()).metadataBlobs, { folder, graceDays: 7 });
      await metadata.load();
      expect(await metadata.refresh()).toBe('stored');
      clock.set(NOW + 3 * DAY);
      expect(metadata.state().status).toBe('stale');
      expect(metadata.lookup()?.byAaguid(AAGUID_A)?.description).toBe('MDS A');
      // The day of nextUpdate counts, then seven days of grace.
      clock.set(Date.parse(`${dateAfter(NOW, 1)}T00:00:00Z`) + 8 * DAY - 1);
      expect(metadata.state().status).toBe('stale');
      clock.set(Date.parse(`${dateAfter(NOW, 1)}T00:00:00Z`) + 8 * DAY);
      expect(metadata.state()).toMatchObject({ status: 'expired', no: 5 });
      expect(metadataReadiness(metadata.state()).status).toBe('expired');
      expect(metadata.lookup()?.byAaguid(AAGUID_A)).toBeUndefined();
      expect(metadata.lookup()?.byAaguid(AAGUID_C)?.description).toBe('Local C');
      // The server still offers the same BLOB: nothing newer, so it stays expired.
      expect(await metadata.refresh()).toBe('unchanged');
      expect(metadata.state().status).toBe('expired');
      // A new BLOB brings the MDS entries back.
      http.serve('/blob', pki.blob({ no: 6, nextUpdate: dateAfter(clock.now(), 30), entries: entries('Renewed') }));
      expect(await metadata.refresh()).toBe('stored');
      expect(metadata.state().status).toBe('current');
      expect(metadata.lookup()?.byAaguid(AAGUID_A)?.description).toBe('Renewed A');
    });

    it('loads an offline BLOB file with CRL files, contacting no server', async () => {
      fresh();
      const blobFile = join(work, `offline-${backend.name}.jwt`);
      writeFileSync(blobFile, pki.blob({ no: 11, nextUpdate: dateAfter(NOW, 30), entries: entries('Offline') }));
      const crlFiles = [join(work, 'root.crl'), join(work, 'intermediate.crl')];
      writeFileSync(crlFiles[0]!, pki.rootCrl());
      writeFileSync(crlFiles[1]!, pki.intermediateCrl());
      const { service: metadata } = service((await store()).metadataBlobs, {
        blobFile,
        crlFiles,
        crlCheck: 'required',
      });
      await metadata.start();
      await until(() => metadata.state().status === 'current', 'the offline BLOB');
      expect(metadata.state()).toMatchObject({ no: 11, source: blobFile });
      expect(metadata.lookup()?.byAaguid(AAGUID_A)?.description).toBe('Offline A');
      expect([...http.hits.keys()]).toEqual([]);
    });

    it('an offline BLOB signed under a revoked intermediate (CRL file) is refused', async () => {
      fresh();
      const blobFile = join(work, `revoked-${backend.name}.jwt`);
      writeFileSync(blobFile, pki.blob({ no: 12, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const revokingCrl = join(work, 'root-revoking.crl');
      writeFileSync(revokingCrl, pki.rootCrl(true));
      const { service: metadata } = service((await store()).metadataBlobs, { blobFile, crlFiles: [revokingCrl] });
      await metadata.load();
      expect(await metadata.refresh()).toBe('failed');
      expect(metadata.state()).toMatchObject({
        status: 'failed',
        lastError: { code: 'METADATA_CERTIFICATE_REVOKED', category: 'TRUST' },
      });
    });

    it('refuses a BLOB whose intermediate its CRL revokes', async () => {
      fresh();
      http.serve('/root.crl', pki.rootCrl(true));
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const blobs = (await store()).metadataBlobs;
      const { service: metadata } = service(blobs);
      await metadata.load();
      expect(await metadata.refresh()).toBe('failed');
      expect(metadata.state().lastError).toMatchObject({ code: 'METADATA_CERTIFICATE_REVOKED' });
      expect(await blobs.history()).toEqual([]);
    });

    it('crlCheck required refuses the BLOB when a CRL is unavailable; ifAvailable goes on without it', async () => {
      fresh();
      http.routes.delete('/intermediate.crl');
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const blobs = (await store()).metadataBlobs;
      const { service: strict, logs } = service(blobs, { crlCheck: 'required' });
      await strict.load();
      expect(await strict.refresh()).toBe('failed');
      expect(strict.state().lastError).toMatchObject({ code: 'METADATA_CRL_UNAVAILABLE' });
      expect(await blobs.history()).toEqual([]);
      expect(logs.some((line) => line.fields.url === `${http.url}/intermediate.crl`)).toBe(true);
      const { service: lenient, logs: lenientLogs } = service(blobs, { crlCheck: 'ifAvailable' });
      await lenient.load();
      expect(await lenient.refresh()).toBe('stored');
      const stored = lenientLogs.find((line) => line.fields.outcome === 'stored');
      expect(stored?.fields.warnings).toEqual([expect.stringContaining('revocation not checked')]);
    });

    it('lets the local folder override the BLOB for the same AAGUID and skips bad files', async () => {
      fresh();
      const folder = join(work, `folder-${backend.name}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'a.json'), JSON.stringify(localStatement(AAGUID_A, 'Local A', pki.root.certificate)));
      writeFileSync(join(folder, 'b-broken.json'), '{ not json');
      writeFileSync(join(folder, 'c-invalid.json'), JSON.stringify({ aaguid: AAGUID_C, attestationTypes: [] }));
      writeFileSync(
        join(folder, 'd-again.json'),
        JSON.stringify(localStatement(AAGUID_A, 'Again A', pki.root.certificate)),
      );
      writeFileSync(join(folder, 'notes.txt'), 'not a statement');
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const { service: metadata, logs } = service((await store()).metadataBlobs, { folder });
      const loaded = await metadata.load();
      expect(loaded).toMatchObject({ status: 'missing', localEntries: 1 });
      expect(metadata.lookup()?.byAaguid(AAGUID_A)).toMatchObject({ description: 'Local A', source: 'local:a.json' });
      expect(await metadata.refresh()).toBe('stored');
      expect(metadata.lookup()?.byAaguid(AAGUID_A)).toMatchObject({ description: 'Local A', source: 'local:a.json' });
      expect(metadata.lookup()?.byAaguid(AAGUID_B)).toMatchObject({ description: 'MDS B', source: 'mds:3' });
      expect(metadata.lookup()?.byAaguid(AAGUID_C)).toBeUndefined();
      const skipped = logs.filter((line) => line.message === 'local metadata statement skipped');
      expect(skipped.map((line) => [line.fields.file, line.fields.code])).toEqual([
        ['b-broken.json', 'METADATA_STATEMENT_UNREADABLE'],
        ['c-invalid.json', 'METADATA_STATEMENT_INVALID'],
        ['d-again.json', 'METADATA_STATEMENT_DUPLICATE'],
      ]);
    });

    it('disabled: downloads nothing, ignores the stored BLOB and uses only the local folder', async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const blobs = (await store()).metadataBlobs;
      const enabled = service(blobs).service;
      await enabled.load();
      expect(await enabled.refresh()).toBe('stored');
      const downloads = http.hitsOf('/blob');
      const { service: disabled } = service(blobs, { enabled: false });
      expect(await disabled.start()).toMatchObject({ status: 'disabled', entries: 0 });
      expect(await disabled.refresh()).toBe('disabled');
      expect(disabled.lookup()).toBeUndefined();
      expect(http.hitsOf('/blob')).toBe(downloads);
    });

    it('with no server and no file, uses what the database holds and says when it holds nothing', async () => {
      fresh();
      http.serve('/blob', pki.blob({ no: 3, nextUpdate: dateAfter(NOW, 30), entries: entries() }));
      const blobs = (await store()).metadataBlobs;
      const databaseOnly = service(blobs, { servers: [] }).service;
      expect(await databaseOnly.start()).toMatchObject({ status: 'missing' });
      expect(await databaseOnly.refresh()).toBe('failed');
      expect(databaseOnly.state()).toMatchObject({ status: 'missing', lastError: { code: 'METADATA_NO_SOURCE' } });
      const downloader = service(blobs).service;
      await downloader.load();
      expect(await downloader.refresh()).toBe('stored');
      expect(await databaseOnly.refresh()).toBe('adopted');
      expect(databaseOnly.state()).toMatchObject({ status: 'current', no: 3 });
      expect(databaseOnly.state().lastError).toBeUndefined();
    });
  });
}
