import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/crypto/jose/jwk.js';
import { signBundle } from '../../src/features/dsr/bundles/bundle.js';
import { defaultBundlePayload } from '../../src/features/dsr/defaults.js';
import { DEFAULT_POLICIES } from '../../src/features/dsr/pdp/default-policies.js';
import { s256Challenge } from '../../src/features/dsr/pkce.js';
import { SimulatedDsrAndroidDevice } from '../../src/simulator/dsr/android-device.js';
import { GmsClient } from '../../src/simulator/dsr/gms-client.js';
import { DEFAULT_KVNR, SimulatedHealthCard } from '../../src/simulator/dsr/health-card.js';
import { SimulatedDsrIosDevice } from '../../src/simulator/dsr/ios-device.js';
import { findNginx, nginxPrefix, PEP_NGINX_TEMPLATE, type RunningNginx, startNginx } from '../helpers/nginx.js';
import { startSimulatorServer, type TestServer } from '../helpers/server.js';
import { testPki } from '../helpers/test-pki.js';
import { MovableClock } from '../helpers/clock.js';

/**
 * deploy/nginx/keyward-pep.conf in front of a small upstream, with the REAL Keyward PEP of a
 * simulator-trusting server behind auth_request (issue 11 item 8). nginx terminates the devices'
 * mutual TLS for both flows: the device token is obtained through nginx's /dsr/ (Keyward believes
 * the forwarded certificate because nginx's address is in dsr.trustedProxies, and runs no TLS
 * listener of its own here), then protected requests carry it.
 *
 * The only change to the shipped configuration: the country map, which a GeoIP module fills in
 * production, takes the country from a test header (default DE), since the default policies deny
 * a request without an allowed country.
 */

const nginxBinary = findNginx();

const SHIPPED_COUNTRY_MAP = 'map $remote_addr $pep_country_code {\n    default "";\n  }';
const TEST_COUNTRY_MAP = 'map $http_x_test_country $pep_country_code {\n    default "DE";\n    "US" "US";\n  }';

function policyErrorCode(policyId: string): string {
  const block = DEFAULT_POLICIES.split(/\n\s*\n/).find((part) => part.includes(`@id("${policyId}")`));
  const code = block && /@errorCode\("([^"]+)"\)/.exec(block)?.[1];
  if (!code) throw new Error(`no @errorCode for policy ${policyId}`);
  return code;
}

const API_KEY = 'nginx-test-admin-key-0123456789abcdef';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Identity {
  certificatePem: string;
  key: string;
}

describe.skipIf(!nginxBinary)('DSR behind a real nginx (deploy/nginx/keyward-pep.conf, the real PEP)', () => {
  const clock = new MovableClock();
  const dir = mkdtempSync(join(tmpdir(), 'keyward-dsr-nginx-'));
  const now = Date.now();
  const pki = testPki({ organization: 'Keyward nginx test', notBefore: now - 3_600_000, notAfter: now + 86_400_000 });
  const ca = pki.authority('Test server CA');
  const serverKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serverCert = pki.certify('localhost', serverKeys.publicKey, ca.signer, undefined, false);
  const adminKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const adminKid = jwkThumbprint(adminKeys.publicKey.export({ format: 'jwk' }));

  const seen: Seen[] = [];
  const upstream = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`upstream ${req.url}`));
  });

  let server: TestServer;
  let nginx: RunningNginx;
  /** The Android device: registered, its device token obtained through nginx. */
  let device: Identity & { sub: string };
  let token: string;
  /** Another registered device (iOS): its certificate is foreign to the Android token. */
  let other: Identity;

  /** One HTTPS request to nginx on a fresh connection (presenting `identity`'s certificate, if any). */
  function send(
    path: string,
    options: { method?: string; headers?: Record<string, string>; body?: string; identity?: Identity } = {},
  ): Promise<Answer> {
    const { method = 'GET', headers = {}, body, identity } = options;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: nginx.port,
          path,
          method,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
          agent: false,
          ca: new X509Certificate(ca.certificate.der).toString(),
          servername: 'localhost',
          // The test server certificate has no subjectAltName; its chain to the test CA is checked.
          checkServerIdentity: () => undefined,
          ...(identity ? { cert: identity.certificatePem, key: identity.key } : {}),
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

  /** RFC-02 through nginx's /dsr/: nonce, device-attestation and device-token over nginx's mutual TLS. */
  async function deviceTokenThroughNginx(dsrDevice: SimulatedDsrAndroidDevice, identity: Identity): Promise<string> {
    const nonce = await send('/dsr/nonce');
    expect(nonce.status).toBe(200);
    const verifier = randomBytes(32).toString('base64url');
    const attestation = await send('/dsr/device-attestation', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: await dsrDevice.attestationToken(nonce.body, Date.now()),
        codeChallenge: s256Challenge(verifier),
      }),
      identity,
    });
    expect(attestation.status, attestation.body).toBe(200);
    const exchanged = await send('/dsr/device-token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code: attestation.body, code_verifier: verifier }).toString(),
      identity,
    });
    expect(exchanged.status, exchanged.body).toBe(200);
    return (JSON.parse(exchanged.body) as { token: string }).token;
  }

  /** A protected request: 403 with the PEP's X-Pep-Result, the upstream not reached; the verdict. */
  async function expectDenied(path: string, options: Parameters<typeof send>[1]) {
    const before = seen.length;
    const answer = await send(path, options);
    expect(answer.status).toBe(403);
    expect(seen.length).toBe(before);
    const result = JSON.parse(answer.headers['x-pep-result'] as string);
    expect(result).toMatchObject({
      errorCode: 'POLICY_DENIED',
      description: expect.any(String),
      decision: { id: expect.any(String), result: { allow: false } },
    });
    return result.decision.result as {
      device: { allow: boolean; violations: { errorCode: string }[] };
      security: { allow: boolean; violations: { errorCode: string }[] };
    };
  }

  beforeAll(async () => {
    const adminFile = join(dir, 'admin.pem');
    writeFileSync(adminFile, adminKeys.publicKey.export({ type: 'spki', format: 'pem' }));
    server = await startSimulatorServer({
      clock,
      options: {
        tls: { enabled: false },
        admin: { apiKeys: [API_KEY] },
        dsr: { trustedProxies: ['127.0.0.1/32'], bundles: { keyFiles: [adminFile] } },
      },
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));

    const shipped = readFileSync(PEP_NGINX_TEMPLATE, 'utf8');
    expect(shipped.split(SHIPPED_COUNTRY_MAP).length).toBe(2);
    const template = join(dir, 'keyward-pep.conf');
    writeFileSync(template, shipped.replace(SHIPPED_COUNTRY_MAP, TEST_COUNTRY_MAP));
    const prefix = nginxPrefix();
    writeFileSync(join(prefix, 'server.pem'), new X509Certificate(serverCert.der).toString());
    writeFileSync(join(prefix, 'server.key'), serverKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    nginx = await startNginx(
      {
        binary: nginxBinary!,
        template,
        values: {
          SERVER_NAME: 'localhost',
          SERVER_CERT: join(prefix, 'server.pem'),
          SERVER_KEY: join(prefix, 'server.key'),
          KEYWARD: new URL(server.url).host,
          UPSTREAM: `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
          PROFILE: 'strict',
        },
      },
      prefix,
    );
    expect(
      nginx
        .errorLog()
        .split('\n')
        .filter((line) => /\[(warn|error|crit|alert|emerg)\]/.test(line)),
    ).toEqual([]);

    // Registration (RFC-01) needs no mutual TLS: straight to Keyward.
    const client = await GmsClient.discover(server.url);
    try {
      const android = await SimulatedDsrAndroidDevice.create();
      await client.register(new SimulatedHealthCard(), android);
      const ios = await SimulatedDsrIosDevice.create();
      await client.register(new SimulatedHealthCard(), ios);
      device = { certificatePem: android.certificatePem!, key: android.mtlsPrivateKeyPem, sub: android.sub };
      other = { certificatePem: ios.certificatePem!, key: ios.mtlsPrivateKeyPem };
      token = await deviceTokenThroughNginx(android, device);
    } finally {
      client.close();
    }
  });

  afterAll(async () => {
    await nginx?.stop();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issued the device token through nginx, bound to the certificate nginx was shown', () => {
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: device.sub, userIdentifier: DEFAULT_KVNR });
    expect(claims.cnf['x5t#S256']).toBe(
      Buffer.from(new X509Certificate(device.certificatePem).fingerprint256.replace(/:/g, ''), 'hex').toString(
        'base64url',
      ),
    );
  });

  it('does not believe a certificate header the client sends itself on /dsr/', async () => {
    const answer = await send('/dsr/device-registrations?userIdentifier=X110000001', {
      headers: { 'x-client-certificate': encodeURIComponent(device.certificatePem) },
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).errorCode).toBe('DSR_CLIENT_CERTIFICATE_MISSING');
  });

  it('allows the device with its token and certificate; the upstream gets X-Device-Id and X-User-Id', async () => {
    const before = seen.length;
    const answer = await send('/records/7?full=1', { headers: { 'x-device-token': token }, identity: device });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('upstream /records/7?full=1');
    expect(answer.headers['x-pep-result']).toBeUndefined();
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)!.headers).toMatchObject({ 'x-device-id': device.sub, 'x-user-id': DEFAULT_KVNR });
  });

  it('denies a disallowed country (policy violation)', async () => {
    const verdict = await expectDenied('/records/8', {
      headers: { 'x-device-token': token, 'x-test-country': 'US' },
      identity: device,
    });
    expect(verdict.device.allow).toBe(true);
    expect(verdict.security.violations.map((v) => v.errorCode)).toEqual([policyErrorCode('security-country-code')]);
  });

  it('denies the token without a client certificate (strict)', async () => {
    const verdict = await expectDenied('/records/9', { headers: { 'x-device-token': token } });
    expect(verdict.device.allow).toBe(false);
  });

  it("denies the token with another registered device's certificate (strict)", async () => {
    const verdict = await expectDenied('/records/10', { headers: { 'x-device-token': token }, identity: other });
    expect(verdict.device.allow).toBe(false);
    const last = server.logs.filter((l) => l.msg === 'PEP decision').at(-1)!;
    expect(last.token?.code).toBe('DSR_TOKEN_UNBOUND');
  });

  it('denies the token once the server clock is past its exp', async () => {
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    clock.offset = exp * 1000 - Date.now() + 5 * 60_000;
    try {
      const verdict = await expectDenied('/records/11', { headers: { 'x-device-token': token }, identity: device });
      expect(verdict.device.allow).toBe(false);
    } finally {
      clock.offset = 0;
    }
    // The same request passes again at the real time.
    expect((await send('/records/11', { headers: { 'x-device-token': token }, identity: device })).status).toBe(200);
  });

  it("denies nginx's client address once a signed bundle blocks it", async () => {
    const payload = defaultBundlePayload();
    payload.data.security_data!.blocklistClientIPs!.push('127.0.0.1');
    const jws = signBundle({ ...payload, version: 1 }, adminKeys.privateKey as KeyObject, adminKid);
    const pushed = await fetch(`${server.url}/admin/v1/dsr/bundles/active`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/jose' },
      body: jws,
    });
    expect(pushed.status).toBe(200);
    const verdict = await expectDenied('/records/12', { headers: { 'x-device-token': token }, identity: device });
    expect(verdict.device.allow).toBe(true);
    expect(verdict.security.violations.map((v) => v.errorCode)).toEqual([
      policyErrorCode('security-client-ip-blocked'),
    ]);
  });
});
