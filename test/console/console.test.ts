import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpsRequest } from 'node:https';
import { MovableClock } from '../helpers/clock.js';
import { addOperator, ConsoleClient, TEST_PASSWORD } from '../helpers/console.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const API_KEY = 'console-test-api-key-0123456789';
const clock = new MovableClock();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    clock,
    options: {
      admin: { apiKeys: [API_KEY] },
      console: { sessionIdleMinutes: 5, login: { maxFailures: 3, lockoutSeconds: 600 } },
    },
  });
  await addOperator(server, 'admin1', 'admin');
  await addOperator(server, 'viewer1', 'viewer');
  await addOperator(server, 'operator1', 'operator');
});
afterAll(async () => server?.close());

const audit = (filter: { actor?: string; action?: string } = {}) =>
  server.services.store.auditEvents.list(filter, { limit: 50 });

describe('landing page', () => {
  it('answers browsers with HTML linking the console, the docs and the OpenAPI document', async () => {
    const response = await fetch(`${server.url}/`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await response.text();
    for (const href of ['/console', '/docs', '/openapi.json', '/fido2/demo', '/health'])
      expect(text).toContain(`href="${href}"`);
    expect(text).toMatch(/Version<\/dt><dd>\d+\.\d+\.\d+/);
    expect(text).toContain('badge-ok">ready');
  });

  it('keeps the JSON answer for API clients', async () => {
    for (const accept of ['application/json', '*/*', undefined]) {
      const response = await fetch(`${server.url}/`, { headers: accept ? { accept } : {} });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await response.json()) as { error: string }).error).toBe('NOT_FOUND');
    }
  });
});

describe('sign-in and sessions', () => {
  it('sends a browser without a session to the sign-in page, which has the labelled form', async () => {
    const client = new ConsoleClient(server);
    const page = await client.get('/console/events?outcome=rejected');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fevents%3Foutcome%3Drejected');
    const login = await client.get('/console/login');
    expect(login.text).toContain('<label for="username">Username</label>');
    expect(login.text).toContain('<label for="password">Password</label>');
    expect(login.text).toContain('<button type="submit">Sign in</button>');
    expect(login.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(login.text).not.toMatch(/<script|style="/);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie and follows only console paths after sign-in', async () => {
    const client = new ConsoleClient(server);
    const response = await client.post('/console/login', {
      username: 'admin1',
      password: TEST_PASSWORD,
      next: '//evil.example/console',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/console');
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^keyward-console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const overview = await client.get('/console');
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('<h1>Overview</h1>');
    // Revocation checking is on by default; the list is fetched on the first Android verification.
    expect(overview.text).toMatch(
      /Android attestation status list<\/td><td><span class="badge badge-neutral">not fetched yet<\/span> https:\/\/android\.googleapis\.com\//,
    );
    // The store holds only the cookie's hash.
    const value = client.cookie.split('=')[1]!;
    const sessions = await server.services.store.consoleSessions.get(value);
    expect(sessions).toBeUndefined();
  });

  it('marks the cookie Secure (and __Host-) over TLS', async () => {
    const body = new URLSearchParams({ username: 'viewer1', password: TEST_PASSWORD }).toString();
    const { status, setCookie } = await new Promise<{ status: number; setCookie: string }>((resolve, reject) => {
      const request = httpsRequest(
        `${server.tlsUrl}/console/login`,
        {
          method: 'POST',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.tlsUrl! },
        },
        (response) => {
          response.resume();
          resolve({ status: response.statusCode!, setCookie: String(response.headers['set-cookie']?.[0]) });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    expect(status).toBe(303);
    expect(setCookie).toMatch(/^__Host-keyward-console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
  });

  it('ends a session after the idle timeout, and on sign-out', async () => {
    const client = new ConsoleClient(server);
    await client.signIn('viewer1');
    expect((await client.get('/console')).status).toBe(200);
    clock.offset += 6 * 60_000;
    try {
      expect((await client.get('/console')).status).toBe(303);
    } finally {
      clock.offset -= 6 * 60_000;
    }
    await client.signIn('viewer1');
    const token = await client.csrf('/console');
    const out = await client.post('/console/logout', { _csrf: token });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await client.get('/console')).status).toBe(303);
    const actions = (await audit({ actor: 'viewer1' })).map((event) => `${event.action} ${event.outcome}`);
    expect(actions).toContain('logout ok');
    expect(actions).toContain('login ok');
  });

  it('refuses a sign-in from another origin', async () => {
    const client = new ConsoleClient(server);
    const response = await client.post(
      '/console/login',
      { username: 'admin1', password: TEST_PASSWORD },
      { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});

describe('roles and CSRF', () => {
  it('shows a viewer no admin pages and refuses their actions, on the audit trail', async () => {
    const viewer = new ConsoleClient(server);
    await viewer.signIn('viewer1');
    const overview = await viewer.get('/console');
    expect(overview.text).not.toContain('href="/console/operators"');
    expect(overview.text).not.toContain('href="/console/audit"');
    expect((await viewer.get('/console/operators')).status).toBe(403);
    expect((await viewer.get('/console/audit')).status).toBe(403);
    const token = await viewer.csrf('/console');
    const refused = await viewer.post('/console/wallets/leaked-keys', { _csrf: token, thumbprint: 'a'.repeat(64) });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('needs the operator role');
    expect(await server.services.store.mdvmVulnerabilities.listLeakedKeys()).toEqual([]);
    const [entry] = await audit({ actor: 'viewer1', action: 'refused /console/wallets/leaked-keys' });
    expect(entry?.outcome).toBe('refused');
  });

  it('refuses a form without the session CSRF token, or from another site, and does nothing', async () => {
    const operator = new ConsoleClient(server);
    await operator.signIn('operator1');
    const token = await operator.csrf('/console/wallets/leaked-keys');
    const thumbprint = 'b'.repeat(64);
    expect((await operator.post('/console/wallets/leaked-keys', { thumbprint })).status).toBe(403);
    expect((await operator.post('/console/wallets/leaked-keys', { _csrf: `${token}x`, thumbprint })).status).toBe(403);
    const crossSite = await operator.post(
      '/console/wallets/leaked-keys',
      { _csrf: token, thumbprint },
      { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
    );
    expect(crossSite.status).toBe(403);
    expect(await server.services.store.mdvmVulnerabilities.listLeakedKeys()).toEqual([]);

    const done = await operator.post('/console/wallets/leaked-keys', { _csrf: token, thumbprint, description: 'test' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/console/wallets/leaked-keys?done=key-added&revoked=0');
    expect((await server.services.store.mdvmVulnerabilities.listLeakedKeys()).map((key) => key.thumbprint)).toEqual([
      thumbprint,
    ]);
    const [entry] = await audit({ actor: 'operator1', action: 'mdvm.leaked-key.add' });
    expect(entry).toMatchObject({ target: thumbprint, outcome: 'ok', actorKind: 'operator', address: '127.0.0.1' });
  });

  it('lets an admin manage operators, ending the sessions of one whose role changes', async () => {
    const admin = new ConsoleClient(server);
    await admin.signIn('admin1');
    const token = await admin.csrf('/console/operators');
    const added = await admin.post('/console/operators', {
      _csrf: token,
      name: 'temp1',
      role: 'viewer',
      password: 'another long password',
    });
    expect(added.status).toBe(303);
    const temp = new ConsoleClient(server);
    expect((await temp.signIn('temp1', 'another long password')).status).toBe(303);
    expect((await temp.get('/console')).status).toBe(200);
    expect((await admin.post('/console/operators/temp1/role', { _csrf: token, role: 'operator' })).status).toBe(303);
    expect((await server.services.store.operators.get('temp1'))?.role).toBe('operator');
    expect((await temp.get('/console')).status).toBe(303);
    const short = await admin.post('/console/operators', {
      _csrf: token,
      name: 'temp2',
      role: 'viewer',
      password: 'short',
    });
    expect(short.status).toBe(400);
    expect(await server.services.store.operators.get('temp2')).toBeUndefined();
    expect((await admin.post('/console/operators/temp1/remove', { _csrf: token })).status).toBe(303);
    expect(await server.services.store.operators.get('temp1')).toBeUndefined();
    const actions = (await audit({ actor: 'admin1' })).map((event) => `${event.action} ${event.target ?? ''}`);
    expect(actions).toEqual(
      expect.arrayContaining(['operator.add temp1', 'operator.role temp1', 'operator.remove temp1']),
    );
    const page = await admin.get('/console/audit?actor=admin1');
    expect(page.text).toContain('operator.remove');
  });
});

describe('operator API audit', () => {
  it('puts operator API changes on the audit trail under the key fingerprint, never the key', async () => {
    const response = await fetch(`${server.url}/v1/mdvm/leaked-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ thumbprint: 'c'.repeat(64) }),
    });
    expect(response.status).toBe(201);
    const [entry] = await audit({ action: 'POST /v1/mdvm/leaked-keys' });
    expect(entry?.actor).toMatch(/^api-key:[0-9a-f]{8}$/);
    expect(entry?.actorKind).toBe('api-key');
    expect(JSON.stringify(entry)).not.toContain(API_KEY);
    const refused = await fetch(`${server.url}/v1/mdvm/leaked-keys`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-key-wrong-key-wrong-key', 'content-type': 'application/json' },
      body: JSON.stringify({ thumbprint: 'd'.repeat(64) }),
    });
    expect(refused.status).toBe(401);
    expect(await audit({ action: 'POST /v1/mdvm/leaked-keys' })).toHaveLength(1);
  });
});

describe('lockout', () => {
  it('locks a user name after console.login.maxFailures failures, even for the right password, and audits it', async () => {
    await addOperator(server, 'locked1', 'viewer');
    const client = new ConsoleClient(server);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const wrong = await client.post('/console/login', { username: 'locked1', password: `wrong password ${attempt}` });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('The user name or password is wrong.');
    }
    const third = await client.post('/console/login', { username: 'locked1', password: 'wrong password 3' });
    expect(third.status).toBe(429);
    const right = await client.post('/console/login', { username: 'locked1', password: TEST_PASSWORD });
    expect(right.status).toBe(429);
    expect(right.text).toContain('Too many failed sign-ins');
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(right.headers.get('set-cookie')).toBeNull();
    const refusals = await audit({ actor: 'locked1', action: 'login' });
    expect(refusals.map((event) => event.detail.reason)).toEqual(['locked', 'locked', 'invalid', 'invalid']);
    // The address is locked too (three failures from 127.0.0.1): other names are refused until the lockout ends.
    expect((await client.post('/console/login', { username: 'admin1', password: TEST_PASSWORD })).status).toBe(429);
    clock.offset += 601_000;
    expect((await client.post('/console/login', { username: 'locked1', password: TEST_PASSWORD })).status).toBe(303);
  });
});
