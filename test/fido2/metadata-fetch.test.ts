import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { ConfigError } from '../../src/config/config-error.js';
import { Fido2MetadataConfigSchema, type Fido2MetadataConfig } from '../../src/config/fido2-metadata.js';
import { KeywardError } from '../../src/errors.js';
import { downloadBlob, fetchCrl, httpMetadataFetcher, readBlobFile } from '../../src/features/fido2/metadata-fetch.js';
import { metadataServiceFromConfig } from '../../src/features/fido2/metadata-from-config.js';
import { sqliteBackend, type TestBackend } from '../helpers/backends.js';
import { MetadataPki, dateAfter, mdsEntry } from './metadata-pki.js';

const NOW = Date.UTC(2026, 2, 10, 12);
const work = mkdtempSync(join(tmpdir(), 'keyward-metadata-fetch-'));

/** Paths: /big (declared length), /chunked (no length, endless), /hang (never answers), /blob. */
let server: Server;
let base = '';
let blob = '';
const held: import('node:http').ServerResponse[] = [];
let pki: MetadataPki;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/big') {
      response.writeHead(200, { 'content-length': String(5000) });
      response.end(Buffer.alloc(5000, 0x41));
    } else if (request.url === '/chunked') {
      response.writeHead(200);
      const timer = setInterval(() => response.write(Buffer.alloc(1024, 0x41)), 1);
      response.on('close', () => clearInterval(timer));
    } else if (request.url === '/hang') {
      held.push(response);
    } else if (request.url === '/blob') {
      response.writeHead(200);
      response.end(`${blob}\n`);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pki = new MetadataPki(base, NOW);
});
afterAll(async () => {
  for (const response of held) response.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

async function downloadFailure(url: string, limits = { timeoutMs: 2000, maxBytes: 1024 }): Promise<KeywardError> {
  const error = await downloadBlob(url, httpMetadataFetcher, limits).catch((caught) => caught);
  expect(error).toBeInstanceOf(KeywardError);
  expect(error).toMatchObject({ code: 'METADATA_DOWNLOAD_FAILED', category: 'INTERNAL', status: 502 });
  return error;
}

describe('downloading BLOBs and CRLs', () => {
  it('returns the body trimmed', async () => {
    blob = 'a.b.c';
    expect(await downloadBlob(`${base}/blob`, httpMetadataFetcher, { timeoutMs: 2000, maxBytes: 1024 })).toBe('a.b.c');
  });

  it('refuses answers over the size limit, declared or not', async () => {
    expect((await downloadFailure(`${base}/big`)).detail).toMatch(/declares 5000 bytes/);
    expect((await downloadFailure(`${base}/chunked`)).detail).toMatch(/longer than the limit of 1024 bytes/);
  });

  it('gives up after the timeout', async () => {
    const started = Date.now();
    const error = await downloadFailure(`${base}/hang`, { timeoutMs: 200, maxBytes: 1024 });
    expect(error.detail).toBe(`${base}/hang: timed out`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('names the HTTP status and unreachable servers', async () => {
    expect((await downloadFailure(`${base}/missing`)).detail).toBe(`${base}/missing: HTTP 404`);
    expect((await downloadFailure('http://127.0.0.1:1/blob')).detail).toMatch(
      /^http:\/\/127\.0\.0\.1:1\/blob: fetch failed/,
    );
  });

  it('answers undefined for CRLs it cannot get, saying why', async () => {
    const reasons: string[] = [];
    const note = (url: string, why: string) => reasons.push(`${url} ${why}`);
    const limits = { timeoutMs: 2000, maxBytes: 1024 };
    expect(await fetchCrl('ldap://crl.example/cn=ca', httpMetadataFetcher, limits, note)).toBeUndefined();
    expect(await fetchCrl(`${base}/missing`, httpMetadataFetcher, limits, note)).toBeUndefined();
    expect(reasons).toEqual(['ldap://crl.example/cn=ca not an http(s) URL', `${base}/missing HTTP 404`]);
  });

  it('reads offline BLOB files within the size limit', () => {
    const file = join(work, 'blob.jwt');
    writeFileSync(file, '  x.y.z\n');
    expect(readBlobFile(file, 100)).toBe('x.y.z');
    expect(() => readBlobFile(file, 4)).toThrow(expect.objectContaining({ code: 'METADATA_FILE_UNREADABLE' }));
    expect(() => readBlobFile(join(work, 'none.jwt'), 100)).toThrow(
      expect.objectContaining({ code: 'METADATA_FILE_UNREADABLE' }),
    );
  });
});

describe('metadata service timers', () => {
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await sqliteBackend();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  const config = (options: Partial<Fido2MetadataConfig>): Fido2MetadataConfig => ({
    ...(Value.Default(Fido2MetadataConfigSchema, {}) as Fido2MetadataConfig),
    storePollSeconds: 0,
    ...options,
  });
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

  it('stopping aborts a download in progress at once', async () => {
    const metadata = metadataServiceFromConfig(config({ servers: [{ url: `${base}/hang` }] }), {
      clock: new FixedClock(NOW),
      store: backend.store.metadataBlobs,
      log: silent,
    });
    await metadata.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(metadata.state().status).toBe('loading');
    const started = Date.now();
    await metadata.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('arms the refresh at nextUpdate even when that is beyond setTimeout’s range', async () => {
    const rootFile = join(work, 'root.pem');
    writeFileSync(rootFile, pki.rootPem);
    const nextUpdate = dateAfter(NOW, 60);
    blob = pki.blob({
      no: 1,
      nextUpdate,
      entries: [mdsEntry('0a6b4e3c-1111-4a2b-8c3d-000000000001', 'A', pki.root.certificate)],
    });
    const options = config({ servers: [{ url: `${base}/blob` }], rootFiles: [rootFile], crlCheck: 'off' });
    const loader = metadataServiceFromConfig(options, {
      clock: new FixedClock(NOW),
      store: backend.store.metadataBlobs,
      log: silent,
    });
    await loader.load();
    expect(await loader.refresh()).toBe('stored');
    let downloads = 0;
    const metadata = metadataServiceFromConfig(options, {
      clock: new FixedClock(NOW),
      store: backend.store.metadataBlobs,
      log: silent,
      fetcher: async (url, limits) => {
        downloads++;
        return httpMetadataFetcher(url, limits);
      },
    });
    expect(await metadata.start()).toMatchObject({ status: 'current', no: 1 });
    const due = Date.parse(`${nextUpdate}T00:00:00Z`);
    expect(metadata.state().nextAttemptAt).toBeGreaterThanOrEqual(due);
    expect(metadata.state().nextAttemptAt).toBeLessThanOrEqual(due + 10 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(downloads).toBe(0);
    await metadata.stop();
  });
});

describe('metadata configuration mistakes stop the start, naming the option', () => {
  const build = (options: Partial<Fido2MetadataConfig>) => () =>
    metadataServiceFromConfig(
      { ...(Value.Default(Fido2MetadataConfigSchema, {}) as Fido2MetadataConfig), ...options },
      {
        clock: new FixedClock(NOW),
        store: { latest: async () => undefined, history: async () => [], save: async () => false },
        log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      },
    );

  it.each([
    [{ folder: join(work, 'no-such-folder') }, 'fido2.mds.folder'],
    [{ blobFile: join(work, 'no-such.jwt') }, 'fido2.mds.blobFile'],
    [{ crlFiles: [join(work, 'no-such.crl')] }, 'fido2.mds.crlFiles'],
    [{ rootFiles: [join(work, 'no-such.pem')] }, 'fido2.mds.rootFiles'],
    [
      { servers: [{ url: 'https://mds.example/', rootCertFile: join(work, 'no-such.pem') }] },
      'fido2.mds.servers[0].rootCertFile',
    ],
  ])('%o', (options, option) => {
    expect(build(options)).toThrow(ConfigError);
    expect(build(options)).toThrow(option);
  });

  it('a CRL file that is not a CRL', () => {
    const file = join(work, 'not.crl');
    writeFileSync(file, 'hello');
    expect(build({ crlFiles: [file] })).toThrow(/fido2\.mds\.crlFiles: .*not\.crl is not a CRL/);
  });

  it('the defaults download from the FIDO Alliance and check CRLs if available', () => {
    const defaults = Value.Default(Fido2MetadataConfigSchema, {}) as Fido2MetadataConfig;
    expect(defaults).toMatchObject({
      enabled: true,
      servers: [{ url: 'https://mds3.fidoalliance.org/' }],
      crlCheck: 'ifAvailable',
      graceDays: 7,
      startupRetries: 3,
      startupRetryDelaySeconds: 30,
      folder: '',
      blobFile: '',
    });
    expect(Value.Check(Fido2MetadataConfigSchema, defaults)).toBe(true);
  });
});
