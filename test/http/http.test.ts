import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixedClock } from '../../src/clock.js';
import { skipWithoutPostgres, skipWithoutRedis } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('HTTP basics on SQLite', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      options: { bodyLimitBytes: 4096, 'metrics.bearerToken': 'metrics-secret-0123456789abcdef' },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers /health and /ready', async () => {
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    // No BLOB is sought (test servers name no metadata server) and no local folder is configured.
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok' },
      metadata: { status: 'missing', entries: 0, localEntries: 0, nextAttemptAt: expect.any(String) },
    });
  });

  it('returns unknown routes as 404 JSON', async () => {
    const response = await fetch(`${server.url}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'NOT_FOUND',
      category: 'CONTENT',
      message: 'No route matches the request method and path.',
    });
  });

  it('rejects malformed JSON, empty bodies, wrong content types and oversize bodies with typed 4xx', async () => {
    const garbage = await server.post('/v1/challenges', '{"purpose": ');
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ error: 'MALFORMED_BODY', category: 'CONTENT' });

    const empty = await server.post('/v1/challenges', '');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe('MALFORMED_BODY');

    const text = await server.post('/v1/challenges', 'purpose=default', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE', category: 'CONTENT' });

    const huge = await server.post('/v1/challenges', { purpose: 'default', padding: 'x'.repeat(8192) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ error: 'BODY_TOO_LARGE', category: 'CONTENT' });

    const wrongShape = await server.post('/v1/challenges', { purpose: 42 });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body.error).toBe('INVALID_REQUEST');

    const extra = await server.post('/v1/challenges', { purpose: 'default', admin: true });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toBe('INVALID_REQUEST');
  });

  it('issues and consumes a challenge once, telling unknown and used apart', async () => {
    const issued = await server.post('/v1/challenges', { purpose: 'default' });
    expect(issued.status).toBe(200);
    expect(Buffer.from(issued.body.challenge, 'base64url')).toHaveLength(32);
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeGreaterThan(290_000);

    const consume = (challenge: string, purpose = 'default') =>
      server.post('/v1/challenges/consume', { purpose, challenge });
    expect((await consume(issued.body.challenge)).status).toBe(200);
    const again = await consume(issued.body.challenge);
    expect(again.status).toBe(403);
    expect(again.body).toEqual({
      error: 'CHALLENGE_USED',
      category: 'TRUST',
      message: 'The challenge has already been used.',
    });

    const unknown = await consume(Buffer.alloc(32, 7).toString('base64url'));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'CHALLENGE_UNKNOWN', category: 'CONTENT' });

    const notBase64 = await consume('not base64!!');
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.error).toBe('INVALID_REQUEST');
  });

  it('refuses purposes that are not configured', async () => {
    const response = await server.post('/v1/challenges', { purpose: 'warden:attest' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'CHALLENGE_PURPOSE_UNKNOWN', category: 'CONTENT' });
    const consume = await server.post('/v1/challenges/consume', {
      purpose: 'nope',
      challenge: Buffer.alloc(32).toString('base64url'),
    });
    expect(consume.body.error).toBe('CHALLENGE_PURPOSE_UNKNOWN');
  });

  it('echoes a sane X-Request-Id and logs it with the request, and replaces an insane one', async () => {
    const response = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(server.logs.some((line) => line.reqId === 'trace-abc.123')).toBe(true);
    const replaced = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'a b\tc'.repeat(30) } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI 3.1 document with every route, and the docs page', async () => {
    const document: any = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/health', '/ready', '/v1/challenges', '/v1/challenges/consume']),
    );
    expect(document.paths['/v1/challenges'].post.requestBody.content['application/json'].schema.required).toEqual([
      'purpose',
    ]);
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('serves Prometheus metrics behind the configured bearer token', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const response = await fetch(`${server.url}/metrics`, {
      headers: { authorization: 'Bearer metrics-secret-0123456789abcdef' },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/keyward_http_requests_total\{method="POST",route="\/v1\/challenges",status="200"\} \d+/);
    expect(text).toMatch(
      /keyward_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/v1\/challenges",status="200"\}/,
    );
    expect(text).toMatch(/keyward_challenges_issued_total\{purpose="default"\} [1-9]/);
    expect(text).toMatch(/keyward_challenges_rejected_total\{purpose="default",code="CHALLENGE_USED"\} [1-9]/);
    expect(text).toMatch(/keyward_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
  });

  it('logs rejected requests with their code and never the request body', async () => {
    const before = server.logs.length;
    await server.post('/v1/challenges/consume', {
      purpose: 'default',
      challenge: Buffer.alloc(32, 9).toString('base64url'),
    });
    const rejected = server.logs.slice(before).find((line) => line.msg === 'request rejected');
    expect(rejected).toMatchObject({ code: 'CHALLENGE_UNKNOWN', category: 'CONTENT', status: 400 });
    expect(JSON.stringify(server.logs.slice(before))).not.toContain(Buffer.alloc(32, 9).toString('base64url'));
  });
});

describe('disabled features', () => {
  it('serve none of their routes and need none of their keys', async () => {
    const server = await startTestServer({
      options: {
        'warden.enabled': false,
        'mdvm.enabled': false,
        'dsr.enabled': false,
        'provisioning.enabled': false,
        'console.enabled': false,
        'admin.apiKeys': ['admin-key-0123456789abcdef'],
      },
    });
    try {
      for (const [method, path] of [
        ['GET', '/api/v1/challenge'],
        ['POST', '/api/v1/attest'],
        ['GET', '/api/v1/crl'],
        ['POST', '/v1/mdvm/challenge'],
        ['GET', '/v1/mdvm/jwks.json'],
        ['GET', '/v1/mdvm/revocations'],
        ['GET', '/dsr/nonce'],
        ['POST', '/dsr/register-device'],
        ['GET', '/pep/strict/auth_request'],
        ['GET', '/admin/v1/dsr/bundles'],
        ['POST', '/mdlServer'],
        ['GET', '/mdoc/iaca.pem'],
        ['GET', '/console'],
        ['GET', '/console/login'],
        ['POST', '/console/login'],
      ] as const) {
        const response = await fetch(`${server.url}${path}`, { method });
        expect([method, path, response.status]).toEqual([method, path, 404]);
      }
      expect((await server.post('/v1/challenges', { purpose: 'default' })).status).toBe(200);
      // The landing page stays, without a link to the console or to the disabled capabilities.
      const landing = await (await fetch(`${server.url}/`, { headers: { accept: 'text/html' } })).text();
      expect(landing).not.toContain('href="/console"');
      expect(landing).toContain('href="/fido2/demo"');
      expect(landing).not.toContain('Warden');
      expect(server.services.keys.bindingCa).toBeUndefined();
      expect(server.services.keys.mdvmSigningKeys).toBeUndefined();
      expect(server.services.keys.dsr).toBeUndefined();
      expect(server.services.keys.mdocIssuer).toBeUndefined();
      expect(server.tlsUrl).toBeUndefined();
      expect(server.logs.filter((line) => /^DEVELOPMENT KEY/.test(String(line.msg))).map((line) => line.msg)).toEqual([
        expect.stringContaining('keys.macKeysFile'),
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('HTTP failure modes', () => {
  it('answers an unexpected failure with 500, a generic message and an incident id that is in the log', async () => {
    const server = await startTestServer();
    try {
      await server.services.store.close(); // the database goes away under a running server
      const response = await server.post('/v1/challenges', { purpose: 'default' });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({
        error: 'INTERNAL_ERROR',
        category: 'INTERNAL',
        message: 'An unexpected error occurred.',
        incidentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      const logged = server.logs.find((line) => line.incidentId === response.body.incidentId);
      expect(logged?.level).toBe(50);
      expect(logged?.err?.message).toBeTruthy();

      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not-ready', checks: { database: 'failed' } });
    } finally {
      await server.close();
    }
  });

  it('tells an expired challenge apart (TIME) using the injected clock', async () => {
    const clock = new FixedClock(Date.UTC(2026, 5, 1));
    const server = await startTestServer({ clock, options: { 'challenges.ttlSeconds': 60 } });
    try {
      const issued = await server.post('/v1/challenges', { purpose: 'default' });
      expect(issued.body.expiresAt).toBe('2026-06-01T00:01:00.000Z');
      clock.advance(60_000);
      const expired = await server.post('/v1/challenges/consume', {
        purpose: 'default',
        challenge: issued.body.challenge,
      });
      expect(expired.status).toBe(400);
      expect(expired.body).toMatchObject({ error: 'CHALLENGE_EXPIRED', category: 'TIME' });
    } finally {
      await server.close();
    }
  });

  it('lets an in-flight request finish when stopped, then refuses connections', async () => {
    const server = await startTestServer();
    const { port } = new URL(server.url);
    const body = JSON.stringify({ purpose: 'default' });
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const received = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
    });
    socket.write(
      `POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    socket.write(body.slice(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = server.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(body.slice(5));
    const response = await received;
    await stopped;
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toContain('"challenge"');
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});

for (const [name, options] of [
  ['PostgreSQL', { database: 'postgres' as const, skip: skipWithoutPostgres }],
  ['PostgreSQL + Redis', { database: 'postgres' as const, redis: true, skip: skipWithoutPostgres || skipWithoutRedis }],
  ['SQLite + Redis', { database: 'sqlite' as const, redis: true, skip: skipWithoutRedis }],
] as const) {
  describe.skipIf(options.skip)(`challenge API on ${name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ database: options.database, redis: 'redis' in options });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('reports its backends ready', async () => {
      const ready: any = await (await fetch(`${server.url}/ready`)).json();
      expect(ready.checks).toEqual('redis' in options ? { database: 'ok', redis: 'ok' } : { database: 'ok' });
    });

    it('gives exactly one success to 200 concurrent HTTP consumes of one challenge', async () => {
      const issued = await server.post('/v1/challenges', { purpose: 'default' });
      const results = await Promise.all(
        Array.from({ length: 200 }, () =>
          server.post('/v1/challenges/consume', { purpose: 'default', challenge: issued.body.challenge }),
        ),
      );
      expect(results.filter((result) => result.status === 200)).toHaveLength(1);
      expect(results.filter((result) => result.body.error === 'CHALLENGE_USED')).toHaveLength(199);
    });
  });
}
