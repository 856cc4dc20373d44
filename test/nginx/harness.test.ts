import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CLIENT_CERTIFICATE_HEADER,
  parseEscapedCertificate,
} from '../../src/features/dsr/pep/request-context.js';
import { findNginx, nginxPrefix, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { testPki } from '../helpers/test-pki.js';

/**
 * The nginx harness and deploy/nginx/keyward-pep.conf's wiring, with a real nginx. This is a test
 * of nginx's configuration, not of Keyward's PEP: a tiny node:http server stands in for
 * GET /pep/{profile}/auth_request (it answers by the token's value), and another for the protected
 * upstream. What it proves: the subrequest carries the token, the original URI/method/IP and the
 * escaped client certificate in the header the PEP reads, whatever the client claims itself; a 200
 * reaches the upstream with X-Device-Id/X-User-Id; a 403 reaches the client with X-Pep-Result.
 */

const nginxBinary = findNginx();

interface Seen {
  url: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const PEP_RESULT = JSON.stringify({
  errorCode: 'POLICY_DENIED',
  description: 'stand-in denial',
  decision: { id: 'test-decision', result: { allow: false } },
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A server that records every request and answers with `answer`. */
function recorder(answer: (seen: Seen) => Answer) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const entry = { url: req.url ?? '', method: req.method ?? '', headers: req.headers, body };
      seen.push(entry);
      const { status, headers, body: reply } = answer(entry);
      res.writeHead(status, headers).end(reply ?? '');
    });
  });
  return { server, seen };
}

const pem = (der: Uint8Array) => new X509Certificate(der).toString();
const keyPem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;

describe.skipIf(!nginxBinary)('nginx harness (deploy/nginx/keyward-pep.conf)', () => {
  const now = Date.now();
  const pki = testPki({ organization: 'Keyward nginx test', notBefore: now - 3_600_000, notAfter: now + 86_400_000 });
  const ca = pki.authority('Test device CA');
  const clientKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const clientCert = pki.certify('device', clientKeys.publicKey, ca.signer, undefined, false);
  const foreignKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const foreignCert = pki.certify('foreign device', foreignKeys.publicKey, undefined, foreignKeys.privateKey, false);
  const serverKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serverCert = pki.certify('localhost', serverKeys.publicKey, ca.signer, undefined, false);

  // The stand-in PEP: the token says what to answer.
  const pep = recorder(({ headers }): Answer => {
    switch (headers['x-device-token']) {
      case 'allow':
        return { status: 200, headers: { 'X-Device-Id': 'device-42', 'X-User-Id': 'X110000001' } };
      case 'error':
        return { status: 500 };
      default:
        return { status: 403, headers: { 'X-Pep-Result': PEP_RESULT } };
    }
  });
  const upstream = recorder(({ url }) => ({
    status: 200,
    headers: { 'Content-Type': 'text/plain' },
    body: `upstream ${url}`,
  }));
  let nginx: RunningNginx;

  beforeAll(async () => {
    const [pepPort, upstreamPort] = [await listen(pep.server), await listen(upstream.server)];
    const prefix = nginxPrefix();
    writeFileSync(join(prefix, 'server.pem'), pem(serverCert.der));
    writeFileSync(join(prefix, 'server.key'), keyPem(serverKeys.privateKey), { mode: 0o600 });
    nginx = await startNginx(
      {
        binary: nginxBinary!,
        values: {
          SERVER_NAME: 'localhost',
          SERVER_CERT: join(prefix, 'server.pem'),
          SERVER_KEY: join(prefix, 'server.key'),
          KEYWARD: `127.0.0.1:${pepPort}`,
          UPSTREAM: `127.0.0.1:${upstreamPort}`,
          PROFILE: 'strict',
        },
      },
      prefix,
    );
    // The configuration loads without a warning (a path nginx cannot write, a directive it ignores).
    expect(
      nginx
        .errorLog()
        .split('\n')
        .filter((line) => /\[(warn|error|crit|alert|emerg)\]/.test(line)),
    ).toEqual([]);
  });

  afterAll(async () => {
    await nginx?.stop();
    pep.server.closeAllConnections();
    upstream.server.closeAllConnections();
    await Promise.all([pep.server, upstream.server].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** One HTTPS request to nginx (a fresh connection, so each presents its own certificate). */
  function send(
    path: string,
    {
      method = 'GET',
      headers = {},
      body,
      cert,
    }: {
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      cert?: { der: Uint8Array; key: KeyObject };
    } = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: nginx.port,
          path,
          method,
          headers,
          agent: false,
          ca: pem(ca.certificate.der),
          servername: 'localhost',
          // The test server certificate has no subjectAltName; its chain to the test CA is checked.
          checkServerIdentity: () => undefined,
          ...(cert ? { cert: pem(cert.der), key: keyPem(cert.key) } : {}),
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const device = { der: clientCert.der, key: clientKeys.privateKey };
  const lastPep = () => pep.seen.at(-1)!;

  it('sends the token, the original request and the escaped client certificate to the PEP; 200 reaches the upstream', async () => {
    const [pepBefore, upstreamBefore] = [pep.seen.length, upstream.seen.length];
    const response = await send('/records/a%20b?x=1&y=2', {
      method: 'POST',
      headers: { 'X-Device-Token': 'allow', 'Content-Type': 'text/plain' },
      body: 'the request body',
      cert: device,
    });
    expect(response.status).toBe(200);
    expect(response.body).toBe('upstream /records/a%20b?x=1&y=2');
    expect(response.headers['x-pep-result']).toBeUndefined();

    expect(pep.seen.length).toBe(pepBefore + 1);
    const asked = lastPep();
    expect(asked.method).toBe('GET');
    expect(asked.url).toBe('/pep/strict/auth_request');
    expect(asked.body).toBe('');
    expect(asked.headers['x-device-token']).toBe('allow');
    expect(asked.headers['x-original-uri']).toBe('/records/a%20b?x=1&y=2');
    expect(asked.headers['x-original-method']).toBe('POST');
    expect(asked.headers['x-real-ip']).toBe('127.0.0.1');
    expect(asked.headers['x-country-code']).toBeUndefined();
    const escaped = asked.headers[DEFAULT_CLIENT_CERTIFICATE_HEADER] as string;
    expect(decodeURIComponent(escaped)).toBe(pem(clientCert.der));
    // The header parses with the PEP's own reader into the presented certificate.
    expect(parseEscapedCertificate(escaped).equals(Buffer.from(clientCert.der))).toBe(true);

    expect(upstream.seen.length).toBe(upstreamBefore + 1);
    const proxied = upstream.seen.at(-1)!;
    expect(proxied.method).toBe('POST');
    expect(proxied.body).toBe('the request body');
    expect(proxied.headers['x-device-id']).toBe('device-42');
    expect(proxied.headers['x-user-id']).toBe('X110000001');
    expect(proxied.headers['x-real-ip']).toBe('127.0.0.1');
    expect(proxied.headers[DEFAULT_CLIENT_CERTIFICATE_HEADER]).toBeUndefined();
  });

  it('answers the PEP 403 to the client with X-Pep-Result, without reaching the upstream', async () => {
    const upstreamBefore = upstream.seen.length;
    const response = await send('/records/b', { headers: { 'X-Device-Token': 'deny' }, cert: device });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.headers['x-pep-result'] as string)).toEqual(JSON.parse(PEP_RESULT));
    expect(upstream.seen.length).toBe(upstreamBefore);
  });

  it('sends no certificate without a client certificate', async () => {
    const response = await send('/records/c', { headers: { 'X-Device-Token': 'deny' } });
    expect(response.status).toBe(403);
    // nginx sends no header for an empty value; the PEP reads absent and empty alike.
    expect(lastPep().headers[DEFAULT_CLIENT_CERTIFICATE_HEADER] ?? '').toBe('');
    expect(lastPep().headers['x-original-uri']).toBe('/records/c');
  });

  it("replaces what the client claims with nginx's own values", async () => {
    const response = await send('/records/d', {
      headers: {
        'X-Device-Token': 'allow',
        [DEFAULT_CLIENT_CERTIFICATE_HEADER]: encodeURIComponent(pem(foreignCert.der)),
        'X-Original-URI': '/public',
        'X-Original-Method': 'OPTIONS',
        'X-Real-IP': '203.0.113.7',
        'X-Country-Code': 'DE',
        'X-Device-Id': 'someone-else',
        'X-User-Id': 'X999999999',
      },
    });
    expect(response.status).toBe(200);
    const asked = lastPep();
    expect(asked.headers[DEFAULT_CLIENT_CERTIFICATE_HEADER] ?? '').toBe('');
    expect(asked.headers['x-original-uri']).toBe('/records/d');
    expect(asked.headers['x-original-method']).toBe('GET');
    expect(asked.headers['x-real-ip']).toBe('127.0.0.1');
    expect(asked.headers['x-country-code']).toBeUndefined();
    expect(asked.headers['x-device-id']).toBeUndefined();
    const proxied = upstream.seen.at(-1)!;
    expect(proxied.headers['x-device-id']).toBe('device-42');
    expect(proxied.headers['x-user-id']).toBe('X110000001');
  });

  it('lets a certificate from an unknown CA through to the PEP (optional_no_ca)', async () => {
    const response = await send('/records/e', {
      headers: { 'X-Device-Token': 'deny' },
      cert: { der: foreignCert.der, key: foreignKeys.privateKey },
    });
    expect(response.status).toBe(403);
    expect(parseEscapedCertificate(lastPep().headers[DEFAULT_CLIENT_CERTIFICATE_HEADER] as string)).toEqual(
      Buffer.from(foreignCert.der),
    );
  });

  it('fails closed when the PEP errs', async () => {
    const upstreamBefore = upstream.seen.length;
    const response = await send('/records/f', { headers: { 'X-Device-Token': 'error' }, cert: device });
    expect(response.status).toBe(500);
    expect(upstream.seen.length).toBe(upstreamBefore);
  });
});
