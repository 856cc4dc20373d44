import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { generateDevelopmentTlsCertificate } from '../../src/crypto/x509/tls-certificate.js';
import { loadServerKeys } from '../../src/keys/load-keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** One raw HTTP/1.1 exchange over TLS (no client certificate): what the listener answers. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () =>
      socket.end(request),
    );
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the TLS listener for DSR mutual TLS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it('answers what the HTTP parser refuses in the DSR error format, with a request id', async () => {
    const answer = await rawExchange(
      server.tlsUrl!,
      `GET /dsr/device-registrations HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(40_000)}\r\n\r\n`,
    );
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    const requestId = /x-request-id: (\S+)/i.exec(head)?.[1];
    expect(JSON.parse(body)).toEqual({
      errorCode: 'HEADERS_TOO_LARGE',
      description: expect.any(String),
      traceId: requestId,
    });
  });

  it('refuses an mTLS route without a client certificate, readably', async () => {
    const answer = await rawExchange(
      server.tlsUrl!,
      'GET /dsr/device-registrations?userIdentifier=X110000001 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).toMatchObject({ errorCode: 'DSR_CLIENT_CERTIFICATE_MISSING' });
  });
});

describe('tls.certFile and tls.keyFile', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keyward-tls-files-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('must belong together: a key of another certificate stops the start, naming the options', () => {
    const one = generateDevelopmentTlsCertificate(Date.now(), ['localhost']);
    const other = generateDevelopmentTlsCertificate(Date.now(), ['localhost']);
    writeFileSync(join(directory, 'cert.pem'), one.certificate);
    writeFileSync(join(directory, 'key.pem'), other.key);
    const { config } = loadConfig({
      env: {},
      flags: {
        dataDir: directory,
        tls: { certFile: join(directory, 'cert.pem'), keyFile: join(directory, 'key.pem') },
      },
    });
    expect(() => loadServerKeys(config, { now: Date.now })).toThrow(
      /invalid configuration: tls\.certFile\/tls\.keyFile/,
    );
    writeFileSync(join(directory, 'key.pem'), one.key);
    expect(loadServerKeys(config, { now: Date.now }).tls?.certificate).toBe(one.certificate);
  });
});
