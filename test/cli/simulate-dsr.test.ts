import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets.js';
import { pinnedServerCertificate } from '../../src/simulator/dsr/gms-client.js';
import { runCli, serve, type ServeProcess } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-simulate-dsr-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The sandbox is offline: Android revocation list fetching is off for these servers. */
const OFFLINE = { KEYWARD_ANDROID_REVOCATION_ENABLED: 'false' };

const simulate = (server: ServeProcess, ...args: string[]) => runCli(['simulate', 'dsr', '--url', server.url, ...args]);

describe('keyward simulate dsr against keyward serve --trust-simulator-roots', () => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await serve(['--trust-simulator-roots'], { cwd: mkdtempSync(join(work, 'serve-')), env: OFFLINE });
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  it.each(['android', 'ios'])(
    '%s: registers, gets a bound device token and is allowed by the strict PEP',
    async (platform) => {
      const result = await simulate(server, '--platform', platform, '--kvnr', 'X110000042');
      expect(result.code, result.stderr).toBe(0);
      const printed = JSON.parse(result.stdout);
      const { registration, deviceToken, pep, endpoints } = printed;
      expect(endpoints.mtls).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dsr$/);
      expect(endpoints.mtls).not.toMatch(/:0\//);
      expect(registration).toMatchObject({ platform, userIdentifier: 'X110000042' });
      expect(registration.certificateSerial).toMatch(/^[0-9A-F]+$/);
      expect(Date.parse(registration.certificateNotAfter)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
      expect(deviceToken.claims).toMatchObject({
        sub: registration.sub,
        userIdentifier: 'X110000042',
        type: platform === 'android' ? 'ANDROID' : 'IOS',
      });
      expect(deviceToken.claims.exp - deviceToken.claims.iat).toBe(3600);
      expect(deviceToken.claims.cnf['x5t#S256']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(pep).toEqual({
        url: `${server.url}/pep/strict/auth_request`,
        status: 200,
        deviceId: registration.sub,
        userId: 'X110000042',
      });
    },
  );

  it('is denied (exit 1) from a blocked client IP, printing the parsed X-Pep-Result', async () => {
    const result = await simulate(server, '--platform', 'android', '--client-ip', '217.110.27.114');
    expect(result.code, result.stderr).toBe(1);
    const { pep, deviceToken } = JSON.parse(result.stdout);
    expect(deviceToken.claims.type).toBe('ANDROID');
    expect(pep.status).toBe(403);
    expect(pep.deviceId).toBeUndefined();
    expect(pep.decision).toMatchObject({
      errorCode: 'POLICY_DENIED',
      decision: { result: { allow: false, device: { allow: true }, security: { allow: false } } },
    });
    expect(pep.decision.decision.result.security.violations.map((v: { errorCode: string }) => v.errorCode)).toEqual([
      'request_client_ip_blocked',
    ]);
  });

  it('is denied for a blocked user, and asks the PEP given by --pep (lax profile)', async () => {
    const blocked = await simulate(server, '--platform', 'ios', '--kvnr', 'X123456789');
    expect(blocked.code, blocked.stderr).toBe(1);
    expect(JSON.parse(blocked.stdout).pep.decision.decision.result.security.allow).toBe(false);

    const lax = await simulate(server, '--platform', 'ios', '--pep', `${server.url}/pep/lax/auth_request/anything`);
    expect(lax.code, lax.stderr).toBe(0);
    expect(JSON.parse(lax.stdout).pep).toMatchObject({
      url: `${server.url}/pep/lax/auth_request/anything`,
      status: 200,
    });
  });

  it('asks no PEP with --no-pep, and checks the TLS listener against --ca', async () => {
    const endpoints = (await (await fetch(`${server.url}/dsr/endpoints`)).json()) as {
      mtls: string;
      serverCertificateSha256: string;
    };
    const serverCertificate = await pinnedServerCertificate(endpoints.mtls, endpoints.serverCertificateSha256);
    expect(createHash('sha256').update(new X509Certificate(serverCertificate).raw).digest('hex')).toBe(
      endpoints.serverCertificateSha256,
    );
    const ca = join(work, 'server-ca.pem');
    writeFileSync(ca, serverCertificate);
    const result = await simulate(server, '--platform', 'android', '--no-pep', '--ca', ca);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout);
    expect(printed.pep).toBeUndefined();
    expect(printed.deviceToken.claims.type).toBe('ANDROID');

    // A TLS listener whose certificate the given roots do not vouch for: the flow cannot complete.
    const foreign = await simulate(server, '--platform', 'android', '--ca', assetPath('simulator/dsr-card-ca.pem'));
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/cannot complete the flow against/);
  });

  it('refuses bad usage with exit 2', async () => {
    for (const args of [
      ['--platform', 'windows'],
      ['--platform', 'ios', '--profile', 'open'],
      ['--platform', 'ios', '--kvnr', '123'],
      ['--platform', 'ios', '--client-ip', 'localhost'],
      ['--platform', 'ios', '--pep', 'ftp://example.test/'],
      ['--platform', 'ios', '--ca', join(work, 'missing.pem')],
    ]) {
      const result = await simulate(server, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout).toBe('');
    }
    const unreachable = await runCli(['simulate', 'dsr', '--platform', 'ios', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot complete the flow against http:\/\/127\.0\.0\.1:9/);
  });
});

describe('keyward simulate dsr against a server that does not trust the simulator roots', () => {
  it("exits 1 and prints the server's errorCode and description", async () => {
    const server = await serve([], { cwd: mkdtempSync(join(work, 'strict-')), env: OFFLINE });
    try {
      const result = await simulate(server, '--platform', 'ios');
      expect(result.code, result.stderr).toBe(1);
      const { error, registration, deviceToken } = JSON.parse(result.stdout);
      expect(registration).toBeUndefined();
      expect(deviceToken).toBeUndefined();
      expect(error).toMatchObject({ operation: 'register-device' });
      expect(error.status).toBeGreaterThanOrEqual(400);
      expect(error.status).toBeLessThan(500);
      expect(error.errorCode).toMatch(/^[A-Z_]+$/);
      expect(typeof error.description).toBe('string');
      expect(result.stderr).toContain(`register-device refused: HTTP ${error.status}`);
      expect(result.stderr).toContain(error.errorCode);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
