import { statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedWalletInstance } from '../../src/simulator/mdvm-wallet.js';
import { fetchTransport, runWardenFlow, type HttpTransport } from '../../src/simulator/warden-client.js';
import { startSimulatorServer, startTestServer, type TestServer } from '../helpers/server.js';
import { sharedAndroidDevice } from '../helpers/simulators.js';
import { simulatedDevices } from '../warden/helpers.js';

const ADMIN_KEY = 'admin-key-0123456789abcdef';

/** Sends raw bytes (URLs fetch would normalise) and resolves with the whole response once the server closes. */
function rawRequest(
  url: string,
  text: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseResponse(received)));
    socket.write(text);
  });
}

function parseResponse(text: string) {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

/** Records the headers of every response a simulator receives. */
function recordingTransport(seen: { url: string; headers: Headers }[]): HttpTransport {
  return async (request) => {
    const response = await fetch(request.url, {
      method: request.method,
      headers: {
        ...request.headers,
        ...(request.body ? { 'content-type': request.contentType ?? 'application/octet-stream' } : {}),
      },
      ...(request.body ? { body: request.body } : {}),
    });
    seen.push({ url: request.url, headers: response.headers });
    return { status: response.status, text: await response.text() };
  };
}

describe('HTTP hardening with simulator roots trusted', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startSimulatorServer({ options: { admin: { apiKeys: [ADMIN_KEY] } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers an attest request without a body, on the default and a policy route, with 400 CONTENT', async () => {
    for (const path of ['/api/v1/attest', '/api/v1/default/attest']) {
      const before = server.logs.length;
      const response = await rawRequest(server.url, `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect([path, response.status]).toEqual([path, 400]);
      expect(JSON.parse(response.body)).toEqual({
        type: 'Failure',
        kind: 'CONTENT',
        explanation: 'The request body is empty.',
      });
      const logged = server.logs.slice(before);
      expect(logged.find((line) => line.msg === 'request rejected')).toMatchObject({ code: 'MALFORMED_CSR' });
      expect(logged.some((line) => line.incidentId)).toBe(false);
    }
  });

  it('answers malformed URLs in the error format of the path, with a request id, never echoing the URL', async () => {
    const keyward = await rawRequest(server.url, get('/v1/%zz-secret'));
    expect(keyward.status).toBe(400);
    expect(keyward.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(keyward.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(keyward.body)).toEqual({
      error: 'MALFORMED_REQUEST',
      category: 'CONTENT',
      message: 'The request URL is malformed.',
    });

    const warden = await rawRequest(server.url, get('/api/v1/%zz-secret/challenge'));
    expect(warden.status).toBe(400);
    expect(warden.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(warden.body)).toEqual({
      type: 'Failure',
      kind: 'CONTENT',
      explanation: 'The request URL is malformed.',
    });
    expect(keyward.body + warden.body).not.toContain('secret');
  });

  it('answers over-long path parameters with 414 in the error format of the path', async () => {
    const long = 'a'.repeat(150);
    const warden = await rawRequest(server.url, get(`/api/v1/${long}/challenge`));
    expect(warden.status).toBe(414);
    expect(warden.headers['x-request-id']).toBeTruthy();
    expect(JSON.parse(warden.body)).toMatchObject({ type: 'Failure', kind: 'CONTENT' });
    expect(warden.body).not.toContain(long);

    const keyward = await rawRequest(
      server.url,
      `POST /admin/v1/binding-certificates/${long}/revoke HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(keyward.status).toBe(414);
    expect(JSON.parse(keyward.body)).toMatchObject({ error: 'PATH_TOO_LONG', category: 'CONTENT' });
    expect(keyward.body).not.toContain(long);
  });

  it('answers unknown routes without echoing the path, as a Failure under Warden’s prefix', async () => {
    const keyward = await fetch(`${server.url}/v1/nothing-here-secret`);
    expect(keyward.status).toBe(404);
    expect(keyward.headers.get('x-request-id')).toBeTruthy();
    expect(await keyward.json()).toEqual({
      error: 'NOT_FOUND',
      category: 'CONTENT',
      message: 'No route matches the request method and path.',
    });
    const warden = await fetch(`${server.url}/api/v1/attest`, { method: 'DELETE' });
    expect(warden.status).toBe(404);
    expect(await warden.json()).toEqual({
      type: 'Failure',
      kind: 'CONTENT',
      explanation: 'No route matches the request method and path.',
    });
  });

  it('answers oversize headers and request timeouts in the error format of the path, with a request id', async () => {
    const huge = await rawRequest(
      server.url,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(huge.status).toBe(431);
    expect(huge.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(huge.body)).toMatchObject({ error: 'HEADERS_TOO_LARGE', category: 'CONTENT' });

    // Node's request timeout, as its periodic check raises it, on a Warden request whose body is still arriving.
    const serverSide = new Promise<Socket>((resolve) => server.app.server.once('connection', resolve));
    const { port } = new URL(server.url);
    const client = connect(Number(port), '127.0.0.1');
    let received = '';
    client.on('data', (chunk) => (received += chunk));
    const closed = new Promise((resolve) => client.on('close', resolve));
    client.write(
      'POST /api/v1/attest HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n0',
    );
    const socket = await serverSide;
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.app.server.emit(
      'clientError',
      Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
      socket,
    );
    await closed;
    const timedOut = parseResponse(received);
    expect(timedOut.status).toBe(408);
    expect(timedOut.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(timedOut.body)).toEqual({
      type: 'Failure',
      kind: 'TIME',
      explanation: 'The request was not received in time.',
    });
  });

  it('sends nosniff and frame denial on every reply and a Content-Security-Policy on the docs', async () => {
    for (const path of ['/health', '/openapi.json', '/v1/nothing', '/docs/static/swagger-ui.css']) {
      const response = await fetch(`${server.url}${path}`);
      expect([path, response.headers.get('x-content-type-options')]).toEqual([path, 'nosniff']);
      expect([path, response.headers.get('x-frame-options')]).toEqual([path, 'DENY']);
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    const page = await fetch(`${server.url}/docs/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    // Everything the page loads is served from here, under the same policy.
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toEqual(expect.arrayContaining(['static/swagger-ui-bundle.js', 'static/swagger-initializer.js']));
    for (const asset of assets) {
      const response = await fetch(`${server.url}/docs/${asset}`);
      expect([asset, response.status]).toEqual([asset, 200]);
      expect(response.headers.get('content-security-policy')).toBe(csp);
    }
    expect((await fetch(`${server.url}/docs/json`)).status).toBe(200);
  });

  it('marks challenges, tokens and issued certificates no-store and keeps deliberate caching', async () => {
    const challenge = await server.post('/v1/challenges', { purpose: 'default' });
    expect(challenge.headers.get('cache-control')).toBe('no-store');

    const seen: { url: string; headers: Headers }[] = [];
    const flow = await runWardenFlow(server.url, (await simulatedDevices()).android, {
      transport: recordingTransport(seen),
    });
    expect(flow.response.type).toBe('Success');
    expect(seen.map(({ url, headers }) => [new URL(url).pathname, headers.get('cache-control')])).toEqual([
      ['/api/v1/challenge', 'no-store'],
      ['/api/v1/attest', 'no-store'],
    ]);

    seen.length = 0;
    const wallet = await SimulatedWalletInstance.forAndroid(await sharedAndroidDevice(), {}, recordingTransport(seen));
    expect((await wallet.register(server.url)).status).toBe(200);
    expect((await wallet.renew(server.url)).status).toBe(200);
    expect(seen.map(({ url, headers }) => [new URL(url).pathname, headers.get('cache-control')])).toEqual([
      ['/v1/mdvm/challenge', 'no-store'],
      ['/v1/mdvm/android/register', 'no-store'],
      ['/v1/mdvm/challenge', 'no-store'],
      ['/v1/mdvm/android/renewal', 'no-store'],
    ]);

    expect((await fetch(`${server.url}/v1/mdvm/jwks.json`)).headers.get('cache-control')).toBe('max-age=300');
    expect((await fetch(`${server.url}/api/v1/crl`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('reports simulatorRootsTrusted on /ready', async () => {
    expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({
      status: 'ready',
      checks: { database: 'ok' },
      simulatorRootsTrusted: true,
      // The simulators' metadata statements, trusted with their roots.
      metadata: { status: 'missing', entries: 0, localEntries: 7, nextAttemptAt: expect.any(String) },
    });
  });

  it('warns for every MDVM registration and renewal a simulator root made possible', async () => {
    const before = server.logs.length;
    const wallet = await SimulatedWalletInstance.forAndroid(await sharedAndroidDevice(), {}, fetchTransport);
    expect((await wallet.register(server.url)).status).toBe(200);
    expect((await wallet.renew(server.url)).status).toBe(200);
    const warnings = server.logs.slice(before).filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual([
      'MDVM registration of a SIMULATED wallet instance (trustSimulatorRoots is on)',
      'MDVM renewal of a SIMULATED wallet instance (trustSimulatorRoots is on)',
    ]);
    expect(warnings[0]).toMatchObject({ platform: 'android', anchors: [expect.stringMatching(/^SIMULATOR /)] });
  });
});

describe('public base URL and files', () => {
  it('takes the JSON Schemas’ $id from publicBaseUrl, not from the Host header', async () => {
    const server = await startTestServer({ options: { publicBaseUrl: 'https://trust.example.com' } });
    try {
      const response = await rawRequest(
        server.url,
        get('/schemas/warden-challenge.json').replace('Host: x', 'Host: evil.example'),
      );
      expect(JSON.parse(response.body).$id).toBe('https://trust.example.com/schemas/warden-challenge.json');
      const other: any = await (
        await fetch(`${server.url}/schemas/warden-attestation-response.json`, { headers: { host: 'evil.example' } })
      ).json();
      expect(other.$id).toBe('https://trust.example.com/schemas/warden-attestation-response.json');
    } finally {
      await server.close();
    }
  });

  it('creates the SQLite database and its -wal and -shm files owner-only (0600)', async () => {
    const previous = process.umask(0o022);
    let server: TestServer | undefined;
    try {
      server = await startTestServer();
      expect((await server.post('/v1/challenges', { purpose: 'default' })).status).toBe(200);
      const file = join(server.config.dataDir, 'keyward.db');
      for (const path of [file, `${file}-wal`, `${file}-shm`])
        expect([path, (statSync(path).mode & 0o777).toString(8)]).toEqual([path, '600']);
    } finally {
      await server?.close();
      process.umask(previous);
    }
  });
});
