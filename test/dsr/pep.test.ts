import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/crypto/jose/jwk.js';
import { signBundle } from '../../src/features/dsr/bundles/bundle.js';
import { defaultBundlePayload } from '../../src/features/dsr/defaults.js';
import { DEFAULT_POLICIES } from '../../src/features/dsr/pdp/default-policies.js';
import { SimulatedDsrAndroidDevice } from '../../src/simulator/dsr/android-device.js';
import { GmsClient, type GmsDevice } from '../../src/simulator/dsr/gms-client.js';
import { DEFAULT_KVNR, SimulatedHealthCard } from '../../src/simulator/dsr/health-card.js';
import { SimulatedDsrIosDevice } from '../../src/simulator/dsr/ios-device.js';
import { SERVER_BACKENDS } from '../helpers/backends.js';
import { decisionsAbout } from '../helpers/decisions.js';
import { startSimulatorServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { MovableClock } from '../helpers/clock.js';

/**
 * The DSR PEP end to end (issue 11 items 5–7, 10): simulated devices registered and given device
 * tokens by a real server, then GET /pep/{strict|lax}/auth_request as nginx would call it; the
 * signed policy bundles (active, simulation, shared through the database) and the PIP lists.
 */

/** The violations' errorCodes, as the default policies annotate them (src/features/dsr/pdp/default-policies.ts). */
function policyErrorCode(policyId: string): string {
  const block = DEFAULT_POLICIES.split(/\n\s*\n/).find((part) => part.includes(`@id("${policyId}")`));
  const code = block && /@errorCode\("([^"]+)"\)/.exec(block)?.[1];
  if (!code) throw new Error(`no @errorCode for policy ${policyId}`);
  return code;
}
const IP_BLOCKED = policyErrorCode('security-client-ip-blocked');
const COUNTRY_NOT_ALLOWED = policyErrorCode('security-country-code');

const { security_data: DEFAULT_SECURITY } = defaultBundlePayload().data;
const BLOCKED_IP = DEFAULT_SECURITY!.blocklistClientIPs![0]!;
const ALLOWED_COUNTRY = DEFAULT_SECURITY!.allowedCountryCodes![0]!;
/** A documentation address (RFC 5737) no default list names. */
const CLIENT_IP = '192.0.2.10';
const API_KEY = 'pep-test-admin-key-0123456789abcdef';

interface PepCall {
  token?: string;
  certificatePem?: string;
  ip?: string;
  country?: string;
  uri?: string;
}

interface PepAnswer {
  status: number;
  deviceId: string | null;
  userId: string | null;
  result: any;
}

async function askPep(server: TestServer, profile: 'strict' | 'lax', call: PepCall = {}): Promise<PepAnswer> {
  const headers: Record<string, string> = {
    'x-original-uri': call.uri ?? '/records/1?x=1',
    'x-original-method': 'GET',
    'x-real-ip': call.ip ?? CLIENT_IP,
    'x-country-code': call.country ?? ALLOWED_COUNTRY,
  };
  if (call.token) headers['x-device-token'] = call.token;
  if (call.certificatePem) headers['x-client-certificate'] = encodeURIComponent(call.certificatePem);
  const response = await fetch(`${server.url}/pep/${profile}/auth_request`, { headers });
  await response.arrayBuffer();
  const result = response.headers.get('x-pep-result');
  return {
    status: response.status,
    deviceId: response.headers.get('x-device-id'),
    userId: response.headers.get('x-user-id'),
    result: result === null ? null : JSON.parse(result),
  };
}

/** A 403 with the reference's X-Pep-Result shape; the verdict. */
function denied(answer: PepAnswer) {
  expect(answer.status).toBe(403);
  expect(answer.deviceId).toBeNull();
  expect(answer.result).toMatchObject({
    errorCode: 'POLICY_DENIED',
    description: expect.any(String),
    decision: {
      id: expect.any(String),
      result: {
        allow: false,
        device: { allow: expect.any(Boolean), violations: expect.any(Array) },
        security: { allow: expect.any(Boolean), violations: expect.any(Array) },
      },
    },
  });
  return answer.result.decision.result as {
    device: { allow: boolean; violations: { errorCode: string }[] };
    security: { allow: boolean; violations: { errorCode: string }[] };
  };
}

const codes = (violations: { errorCode: string }[]) => violations.map((v) => v.errorCode);

interface Enrolled {
  device: GmsDevice & { certificatePem: string };
  token: string;
}

/** Registers a simulated device with the simulated card and fetches a device token over mTLS. */
async function enroll(server: TestServer, platform: 'android' | 'ios'): Promise<Enrolled> {
  const client = await GmsClient.discover(server.url);
  try {
    const device =
      platform === 'android' ? await SimulatedDsrAndroidDevice.create() : await SimulatedDsrIosDevice.create();
    await client.register(new SimulatedHealthCard(), device);
    const token = await client.deviceToken(device);
    return { device: device as Enrolled['device'], token };
  } finally {
    client.close();
  }
}

/** An administrator's EC P-256 key: its public PEM in a file for dsr.bundles.keyFiles, and its kid. */
function adminKey(dir: string, name: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, publicKey.export({ type: 'spki', format: 'pem' }));
  return { file, privateKey, kid: jwkThumbprint(publicKey.export({ format: 'jwk' })) };
}

/** The default policies and data with `blocked` added to the blocked client IPs. */
function bundleBlocking(version: number, blocked: string[], key: { privateKey: KeyObject; kid: string }): string {
  const payload = defaultBundlePayload();
  const security = payload.data.security_data!;
  security.blocklistClientIPs = [...(security.blocklistClientIPs ?? []), ...blocked];
  return signBundle({ ...payload, version }, key.privateKey, key.kid);
}

async function admin(server: TestServer, method: string, path: string, body?: string, apiKey: string | null = API_KEY) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/jose' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function metric(server: TestServer, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('DSR PEP (SQLite)', () => {
  const clock = new MovableClock();
  const dir = mkdtempSync(join(tmpdir(), 'keyward-pep-'));
  const trusted = adminKey(dir, 'admin');
  const stranger = adminKey(dir, 'stranger');
  let server: TestServer;
  let android: Enrolled;
  let ios: Enrolled;

  beforeAll(async () => {
    server = await startSimulatorServer({
      clock,
      options: { admin: { apiKeys: [API_KEY] }, dsr: { bundles: { keyFiles: [trusted.file] } } },
    });
    android = await enroll(server, 'android');
    ios = await enroll(server, 'ios');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each(['strict', 'lax'] as const)('%s profile', (profile) => {
    it.each(['android', 'ios'] as const)('allows a %s device token with its certificate', async (platform) => {
      const { device, token } = platform === 'android' ? android : ios;
      const answer = await askPep(server, profile, { token, certificatePem: device.certificatePem });
      expect(answer).toMatchObject({ status: 200, result: null, deviceId: device.sub, userId: DEFAULT_KVNR });
    });

    it('denies a blocked client IP with the policy’s violation', async () => {
      const verdict = denied(
        await askPep(server, profile, {
          token: android.token,
          certificatePem: android.device.certificatePem,
          ip: BLOCKED_IP,
        }),
      );
      expect(verdict.device).toEqual({ allow: true, violations: [] });
      expect(verdict.security.allow).toBe(false);
      expect(codes(verdict.security.violations)).toEqual([IP_BLOCKED]);
      const [logged] = await decisionsAbout(server, { operation: 'pep', subject: android.device.sub });
      expect(logged).toMatchObject({
        capability: 'dsr',
        outcome: 'rejected',
        category: 'TRUST',
        code: 'POLICY_DENIED',
        summary: { profile, clientIP: BLOCKED_IP },
      });
    });

    it('denies a country outside the allow-list', async () => {
      const verdict = denied(
        await askPep(server, profile, { token: ios.token, certificatePem: ios.device.certificatePem, country: 'US' }),
      );
      expect(verdict.device.allow).toBe(true);
      expect(codes(verdict.security.violations)).toEqual([COUNTRY_NOT_ALLOWED]);
    });

    it('denies a request without a device token (the security verdict is still computed)', async () => {
      const verdict = denied(await askPep(server, profile, { certificatePem: android.device.certificatePem }));
      expect(verdict.device.allow).toBe(false);
      expect(verdict.security).toEqual({ allow: true, violations: [] });
    });
  });

  it('strict denies a token without a certificate, and with another device’s certificate', async () => {
    const missing = denied(await askPep(server, 'strict', { token: android.token }));
    expect(missing.device.allow).toBe(false);
    denied(await askPep(server, 'strict', { token: android.token, certificatePem: ios.device.certificatePem }));
    denied(await askPep(server, 'strict', { token: ios.token, certificatePem: android.device.certificatePem }));
    const decisions = server.logs.filter((l) => l.msg === 'PEP decision' && l.profile === 'strict' && l.token);
    expect(decisions.map((l) => l.token.code)).toContain('DSR_TOKEN_UNBOUND');
  });

  it('lax allows a token presented with another device’s certificate (no binding)', async () => {
    const answer = await askPep(server, 'lax', { token: android.token, certificatePem: ios.device.certificatePem });
    expect(answer).toMatchObject({ status: 200, deviceId: android.device.sub, userId: DEFAULT_KVNR });
  });

  it('answers a malformed X-Original-URI with ACCESS_DENIED, without a decision', async () => {
    const answer = await askPep(server, 'lax', { token: android.token, uri: 'records/no-leading-slash' });
    expect(answer.status).toBe(403);
    expect(answer.result).toEqual({ errorCode: 'ACCESS_DENIED', description: expect.any(String) });
    expect(await metric(server, 'keyward_dsr_pep_decisions_total', 'outcome="malformed"')).toBeGreaterThan(0);
    const [logged] = await decisionsAbout(server, { operation: 'pep', code: 'DSR_PEP_REQUEST_MALFORMED' });
    expect(logged).toMatchObject({ outcome: 'rejected', category: 'CONTENT', summary: { profile: 'lax' } });
  });

  it('denies a token once the server clock is past its exp', async () => {
    const exp = JSON.parse(Buffer.from(android.token.split('.')[1]!, 'base64url').toString()).exp as number;
    expect(
      (await askPep(server, 'strict', { token: android.token, certificatePem: android.device.certificatePem })).status,
    ).toBe(200);
    clock.offset = exp * 1000 - Date.now() + 5 * 60_000;
    try {
      const verdict = denied(
        await askPep(server, 'strict', { token: android.token, certificatePem: android.device.certificatePem }),
      );
      expect(verdict.device.allow).toBe(false);
      const last = server.logs.filter((l) => l.msg === 'PEP decision').at(-1)!;
      expect(last.token?.code).toMatch(/EXPIRED/);
    } finally {
      clock.offset = 0;
    }
  });

  describe('bundles', () => {
    const BUNDLE_IP = '198.51.100.23';

    it('refuses a push without an API key, and one signed by an unconfigured key', async () => {
      const jws = bundleBlocking(1, [BUNDLE_IP], trusted);
      expect((await admin(server, 'PUT', '/admin/v1/dsr/bundles/active', jws, null)).status).toBe(401);
      const foreign = await admin(
        server,
        'PUT',
        '/admin/v1/dsr/bundles/active',
        bundleBlocking(1, [BUNDLE_IP], stranger),
      );
      expect(foreign.status).toBeGreaterThanOrEqual(400);
      expect(foreign.status).toBeLessThan(500);
      expect(foreign.body.error).toBe('DSR_BUNDLE_SIGNATURE_INVALID');
      expect((await admin(server, 'GET', '/admin/v1/dsr/bundles')).body.active.version).toBe(0);
    });

    it('puts a signed active bundle in force at once and refuses the same version again', async () => {
      const call = { token: ios.token, certificatePem: ios.device.certificatePem, ip: BUNDLE_IP };
      expect((await askPep(server, 'strict', call)).status).toBe(200);
      const jws = bundleBlocking(1, [BUNDLE_IP], trusted);
      const pushed = await admin(server, 'PUT', '/admin/v1/dsr/bundles/active', jws);
      expect(pushed).toEqual({ status: 200, body: { slot: 'active', version: 1, kid: trusted.kid } });
      expect(codes(denied(await askPep(server, 'strict', call)).security.violations)).toEqual([IP_BLOCKED]);

      const again = await admin(server, 'PUT', '/admin/v1/dsr/bundles/active', jws);
      expect(again.status).toBeGreaterThanOrEqual(400);
      expect(again.status).toBeLessThan(500);
      expect(again.body.error).toBe('DSR_BUNDLE_VERSION_STALE');
      expect((await admin(server, 'GET', '/admin/v1/dsr/bundles')).body.active).toMatchObject({
        version: 1,
        kid: trusted.kid,
      });
    });

    it('shadows with a simulation bundle: counted and logged, never enforced; DELETE clears it', async () => {
      const SHADOW_IP = '198.51.100.77';
      const call = { token: android.token, certificatePem: android.device.certificatePem, ip: SHADOW_IP };
      const counted = () => metric(server, 'keyward_dsr_shadow_divergences_total', 'simulationVersion="1"');
      const pushed = await admin(
        server,
        'PUT',
        '/admin/v1/dsr/bundles/simulation',
        bundleBlocking(1, [SHADOW_IP], trusted),
      );
      expect(pushed).toEqual({ status: 200, body: { slot: 'simulation', version: 1, kid: trusted.kid } });

      const before = await counted();
      expect((await askPep(server, 'strict', call)).status).toBe(200); // the active bundle decides
      expect(await counted()).toBe(before + 1);
      const logged = server.logs.filter((l) => /simulation bundle diverges/.test(l.msg ?? ''));
      expect(logged.at(-1)).toMatchObject({
        simulationVersion: 1,
        active: { allow: true },
        simulation: { allow: false },
      });
      // The decision log keeps the divergent allowed decision; allowed decisions without divergence are not logged.
      const allowed = () => decisionsAbout(server, { operation: 'pep', outcome: 'accepted' });
      const [divergent] = await allowed();
      expect(divergent).toMatchObject({ subject: android.device.sub, summary: { profile: 'strict', divergent: true } });
      const kept = (await allowed()).length;
      // A decision both bundles make alike is not a divergence.
      expect((await askPep(server, 'strict', { ...call, ip: CLIENT_IP })).status).toBe(200);
      expect(await counted()).toBe(before + 1);
      expect(await allowed()).toHaveLength(kept);

      expect((await admin(server, 'DELETE', '/admin/v1/dsr/bundles/simulation')).status).toBe(204);
      expect((await admin(server, 'GET', '/admin/v1/dsr/bundles')).body.simulation).toBeNull();
      expect((await askPep(server, 'strict', call)).status).toBe(200);
      expect(await counted()).toBe(before + 1);
    });
  });
});

describe.each(SERVER_BACKENDS)('DSR bundles shared through the database ($name)', ({ name, database, redis, skip }) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-pep-shared-'));
  const key = adminKey(dir, 'admin');
  let first: TestServer;
  let second: TestServer;
  let enrolled: Enrolled;

  beforeAll(async () => {
    if (skip) return;
    const options = {
      admin: { apiKeys: [API_KEY] },
      dsr: { bundles: { keyFiles: [key.file], pollSeconds: 1 } },
    };
    const base: TestServerOptions = { database, redis, options };
    first = await startSimulatorServer(base);
    // The second instance: the first's database (file or schema), keys and Redis prefix.
    const { databaseUrl, databaseSchema, dataDir, redisKeyPrefix } = first.config as unknown as Record<string, string>;
    second = await startSimulatorServer({
      ...base,
      options: { ...options, databaseUrl, databaseSchema, dataDir, ...(redis ? { redisKeyPrefix } : {}) },
    });
    enrolled = await enroll(first, 'android');
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skip)(`a bundle pushed to one instance is in force on the other within ~2 s (${name})`, async () => {
    const ip = '203.0.113.50';
    const call = { token: enrolled.token, certificatePem: enrolled.device.certificatePem, ip };
    expect((await askPep(second, 'strict', call)).status).toBe(200);
    const pushed = await admin(first, 'PUT', '/admin/v1/dsr/bundles/active', bundleBlocking(1, [ip], key));
    expect(pushed.status).toBe(200);
    const started = Date.now();
    const answer = await eventually(
      () => askPep(second, 'strict', call),
      (a) => a.status === 403,
      2_500,
    );
    expect(codes(denied(answer).security.violations)).toEqual([IP_BLOCKED]);
    expect(Date.now() - started).toBeLessThan(2_500);
    // The other instance, now on version 1 too, refuses the same version.
    const replay = await admin(second, 'PUT', '/admin/v1/dsr/bundles/active', bundleBlocking(1, [ip], key));
    expect(replay.body?.error).toBe('DSR_BUNDLE_VERSION_STALE');
  });
});

describe('DSR PIP lists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-pep-pip-'));
  const PIP_IP = '203.0.113.99';
  let server: TestServer;
  let enrolled: Enrolled;

  beforeAll(async () => {
    const file = join(dir, 'blocked-ips.txt');
    writeFileSync(file, `# blocked by the test\n${PIP_IP}\n`);
    server = await startSimulatorServer({ options: { dsr: { pip: { blockedIps: file } } } });
    enrolled = await enroll(server, 'ios');
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('denies an address on the dsr.pip.blockedIps list', async () => {
    const call = { token: enrolled.token, certificatePem: enrolled.device.certificatePem };
    expect(codes(denied(await askPep(server, 'strict', { ...call, ip: PIP_IP })).security.violations)).toEqual([
      IP_BLOCKED,
    ]);
    expect((await askPep(server, 'strict', { ...call, ip: CLIENT_IP })).status).toBe(200);
  });
});

describe('DSR PEP behind listed proxies', () => {
  let server: TestServer;
  let enrolled: Enrolled;

  beforeAll(async () => {
    server = await startSimulatorServer({ options: { dsr: { trustedProxies: ['192.0.2.250/32'] } } });
    enrolled = await enroll(server, 'android');
  });
  afterAll(async () => server?.close());

  it('answers only the proxies in dsr.trustedProxies: anyone else is denied without a decision', async () => {
    const answer = await askPep(server, 'lax', {
      token: enrolled.token,
      certificatePem: enrolled.device.certificatePem,
    });
    expect(answer.status).toBe(403);
    expect(answer.result).toEqual({ errorCode: 'ACCESS_DENIED', description: 'Access denied' });
    expect(server.logs.some((line) => line.code === 'DSR_PEP_CALLER_UNTRUSTED')).toBe(true);
  });
});
