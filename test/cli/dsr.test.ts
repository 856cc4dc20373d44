import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/crypto/jose/jwk.js';
import { certificatePem, pemCertificates } from '../../src/crypto/x509/certificate.js';
import { verifyBundle } from '../../src/features/dsr/bundles/bundle.js';
import { defaultBundlePayload, defaultMasterData } from '../../src/features/dsr/defaults.js';
import { deviceTokenSubject, issueDeviceToken } from '../../src/features/dsr/device-token.js';
import { DEFAULT_POLICIES } from '../../src/features/dsr/pdp/default-policies.js';
import { DsrSigningKeys, dsrSigningKeyFile, generateDsrSigningKey } from '../../src/features/dsr/signing-keys.js';
import { generateMdvmRoot } from '../../src/features/mdvm/signing-keys.js';
import { runCli } from '../helpers/cli.js';
import { vectorPath } from '../helpers/vectors.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-dsr-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};
const json = (stdout: string) => JSON.parse(stdout);

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const ISSUER = 'https://gms.keyward.example';
const at = (time: number) => new Date(time).toISOString();

describe('shipped DSR defaults', () => {
  it('are the reference master data and bundle data, the Tor list empty', () => {
    expect(defaultMasterData()).toEqual(JSON.parse(readFileSync(vectorPath('dsr/gms/masterData.json'), 'utf8')));
    const payload = defaultBundlePayload();
    const section = (name: string) =>
      JSON.parse(readFileSync(vectorPath(`dsr/policy-bundle/${name}/data.json`), 'utf8'));
    expect(payload).toEqual({
      version: 0,
      policies: DEFAULT_POLICIES,
      data: {
        android_data: section('android_data'),
        ios_data: section('ios_data'),
        security_data: { ...section('security_data'), torExitNodes: [] },
      },
    });
  });
});

describe('keyward dsr verify-token', () => {
  const ring = DsrSigningKeys.parse(dsrSigningKeyFile([generateDsrSigningKey(NOW - HOUR)]));
  const other = DsrSigningKeys.parse(dsrSigningKeyFile([generateDsrSigningKey(NOW - HOUR)]));
  const jwks = file('jwks.json', JSON.stringify(ring.jwks));
  const otherJwks = file('other-jwks.json', JSON.stringify(other.jwks));
  const certificate = pemCertificates(generateMdvmRoot(NOW, 'device A').certificate)[0]!;
  const foreign = pemCertificates(generateMdvmRoot(NOW, 'device B').certificate)[0]!;
  const certFile = file('client.pem', certificatePem(certificate));
  const certDer = file('client.der', certificate);
  const foreignFile = file('foreign.pem', certificatePem(foreign));
  const subject = deviceTokenSubject({
    sub: 'k0Yt6Q0pZ1f8XbX5i9o0fS3Zb3b8u6n4g5h6j7k8l9A=',
    type: 'ANDROID',
    userIdentifier: 'X110411675',
    deviceHealth: { keyIdAttestation: { attestationSecurityLevel: 1 } },
    clientCertificate: certificate,
  });
  const { token, claims, kid } = issueDeviceToken(ring, subject, { issuer: ISSUER, now: NOW });

  it('verifies a token against a JWKS file and prints its claims (exit 0)', async () => {
    const result = await runCli(['dsr', 'verify-token', token, '--jwks', jwks, '--at', at(NOW + 60_000)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toEqual({
      verified: true,
      code: null,
      claims,
      bound: null,
      kid,
      expiresAt: at(NOW + HOUR),
    });
  });

  it('reads the token from standard input with -, and restricts iss with --issuer', async () => {
    const ok = await runCli(['dsr', 'verify-token', '-', '--jwks', jwks, '--at', at(NOW), '--issuer', ISSUER], {
      input: `${token}\n`,
    });
    expect(ok.code).toBe(0);
    const wrongIssuer = await runCli([
      'dsr',
      'verify-token',
      token,
      '--jwks',
      jwks,
      '--at',
      at(NOW),
      '--issuer',
      'https://other.example',
    ]);
    expect(wrongIssuer.code).toBe(1);
    expect(json(wrongIssuer.stdout)).toMatchObject({ verified: false, code: 'DSR_TOKEN_INVALID', bound: null });
  });

  it('refuses an expired token (--at past exp) with its unverified claims (exit 1)', async () => {
    const result = await runCli(['dsr', 'verify-token', token, '--jwks', jwks, '--at', at(NOW + 2 * HOUR)]);
    expect(result.code).toBe(1);
    expect(json(result.stdout)).toMatchObject({
      verified: false,
      code: 'DSR_TOKEN_EXPIRED',
      category: 'TIME',
      claims: { sub: subject.sub, exp: claims.exp },
    });
  });

  it('refuses a token signed by a key the JWKS does not hold', async () => {
    const result = await runCli(['dsr', 'verify-token', token, '--jwks', otherJwks, '--at', at(NOW)]);
    expect(result.code).toBe(1);
    expect(json(result.stdout)).toMatchObject({ verified: false, code: 'DSR_TOKEN_INVALID', category: 'TRUST' });
  });

  it('with --cert, checks the cnf x5t#S256 binding (PEM or DER)', async () => {
    for (const cert of [certFile, certDer]) {
      const bound = await runCli(['dsr', 'verify-token', token, '--jwks', jwks, '--at', at(NOW), '--cert', cert]);
      expect(bound.code).toBe(0);
      expect(json(bound.stdout)).toMatchObject({ verified: true, bound: true });
    }
    const unbound = await runCli([
      'dsr',
      'verify-token',
      token,
      '--jwks',
      jwks,
      '--at',
      at(NOW),
      '--cert',
      foreignFile,
    ]);
    expect(unbound.code).toBe(1);
    expect(json(unbound.stdout)).toMatchObject({
      verified: false,
      code: 'DSR_TOKEN_UNBOUND',
      bound: false,
      claims: { sub: subject.sub },
    });
  });

  it('fetches the JWKS with --url', async () => {
    const server = createServer((request, response) => {
      if (request.url !== '/dsr/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ring.jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ok = await runCli(['dsr', 'verify-token', token, '--url', `${base}/dsr/jwks.json`, '--at', at(NOW)]);
      expect(ok.code).toBe(0);
      expect(json(ok.stdout)).toMatchObject({ verified: true, kid });
      const missing = await runCli(['dsr', 'verify-token', token, '--url', `${base}/nothing`, '--at', at(NOW)]);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toMatch(/HTTP 404/);
    } finally {
      server.close();
    }
  });

  it.each([
    [['dsr', 'verify-token', 'x.y.z'], /exactly one of --jwks/],
    [['dsr', 'verify-token', 'x.y.z', '--jwks', 'jwks.json', '--url', 'http://127.0.0.1:1/'], /exactly one of --jwks/],
    [['dsr', 'verify-token', 'x.y.z', '--jwks', '/nonexistent/jwks.json'], /cannot read JWKS/],
    [['dsr', 'verify-token', 'x.y.z', '--jwks', 'jwks.json', '--at', 'yesterday'], /not an ISO-8601 time/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const result = await runCli(args, { cwd: work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

/** The @errorCode of the default policy with this @id, read from the policy text. */
function errorCodeOf(id: string): string {
  const match = new RegExp(`@id\\("${id}"\\)\\s*@scope\\("[a-z]+"\\)\\s*@errorCode\\("([^"]+)"\\)`).exec(
    DEFAULT_POLICIES,
  );
  if (!match) throw new Error(`no policy ${id}`);
  return match[1]!;
}

/** A PDP input for a healthy Android device running the reference app, fitting the default data. */
function androidInput(request: Record<string, unknown> = {}) {
  const android = defaultBundlePayload().data.android_data!;
  const app = android.allowedApplications![0]!;
  return {
    request: { method: 'GET', path: '/fd/api/v1/records', clientIP: '192.0.2.10', countryCode: 'DE', ...request },
    deviceTokenValid: true,
    deviceTokenPayload: {
      iss: ISSUER,
      sub: 'x7P6hU3jZ2q0Wb1m5V9yFvN8cQeRtYuIoPaSdFgHjKl',
      type: 'ANDROID',
      userIdentifier: 'X110411675',
      deviceHealth: {
        integrityVerdict: {
          appIntegrity: {
            packageName: app.packageName,
            versionCode: app.version,
            certificateSha256Digest: [app.certificateSha256Digest],
          },
        },
        keyIdAttestation: { attestationSecurityLevel: 1 },
        deviceAttributes: {
          build: { model: android.allowedBuildModel![1], version: { securityPatch: '2023-06-05' } },
          devicePolicyManager: { passwordComplexity: 196608 },
        },
      },
    },
  };
}

describe('keyward dsr decide', () => {
  const blockedIp = defaultBundlePayload().data.security_data!.blocklistClientIPs![0]!;
  const allowed = file('allowed.json', JSON.stringify(androidInput()));
  const blocked = file('blocked.json', JSON.stringify(androidInput({ clientIP: blockedIp })));

  it('allows a healthy device with the default policies and data (exit 0)', async () => {
    const result = await runCli(['dsr', 'decide', '--input', allowed]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toEqual({
      allow: true,
      device: { allow: true, violations: [] },
      security: { allow: true, violations: [] },
    });
  });

  it("denies a client IP on the default data's blocklist with the policy's violation (exit 1)", async () => {
    const result = await runCli(['dsr', 'decide', '--input', blocked]);
    expect(result.code).toBe(1);
    const verdict = json(result.stdout);
    expect(verdict).toMatchObject({
      allow: false,
      device: { allow: true, violations: [] },
      security: { allow: false },
    });
    expect(verdict.security.violations.map((violation: { errorCode: string }) => violation.errorCode)).toEqual([
      errorCodeOf('security-client-ip-blocked'),
    ]);
  });

  it('denies a device without a token, still giving the security verdict; --explain names the forbids', async () => {
    const input = file('no-token.json', JSON.stringify({ request: { clientIP: blockedIp, countryCode: 'XX' } }));
    const result = await runCli(['dsr', 'decide', '--input', input, '--explain']);
    expect(result.code).toBe(1);
    const explained = json(result.stdout);
    expect(explained.verdict.allow).toBe(false);
    expect(
      explained.verdict.security.violations.map((violation: { errorCode: string }) => violation.errorCode),
    ).toEqual([errorCodeOf('security-client-ip-blocked'), errorCodeOf('security-country-code')]);
    expect(explained.denied).toContain('device-token-invalid');
    expect(explained.bundle).toMatchObject({ version: 0, kid: null, source: 'default' });
  });

  it('--data replaces the data sections it holds (a JSON file, or a reference bundle directory)', async () => {
    const data = file('no-blocklist.json', JSON.stringify({ security_data: { allowedCountryCodes: ['DE'] } }));
    const replaced = await runCli(['dsr', 'decide', '--input', blocked, '--data', data]);
    expect(replaced.code).toBe(0);
    expect(json(replaced.stdout).allow).toBe(true);
    // The reference bundle, Tor list included: a Tor exit node is denied.
    const tor = JSON.parse(readFileSync(vectorPath('dsr/policy-bundle/security_data/torExitNodes/data.json'), 'utf8'));
    const torInput = file('tor.json', JSON.stringify(androidInput({ clientIP: tor[0] })));
    const reference = await runCli(['dsr', 'decide', '--input', torInput, '--data', vectorPath('dsr/policy-bundle')]);
    expect(reference.code).toBe(1);
    expect(json(reference.stdout).security.violations).toEqual([
      { errorCode: errorCodeOf('security-tor-exit-node'), errorDescription: expect.any(String) },
    ]);
  });
});

describe('keyward dsr bundle', () => {
  const keyFile = join(work, 'admin.key.pem');
  const publicFile = join(work, 'admin.pub.pem');
  const stranger = file(
    'stranger.pub.pem',
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }) as string,
  );

  it('keygen writes a P-256 key (0600) and prints the public key and its kid', async () => {
    const result = await runCli(['dsr', 'bundle', 'keygen', '--out', keyFile, '--public-out', publicFile]);
    expect(result.code).toBe(0);
    const printed = json(result.stdout);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(publicFile, 'utf8')).toBe(printed.publicKey);
    expect(printed.kid).toBe(jwkThumbprint(createPublicKey(printed.publicKey).export({ format: 'jwk' })));
    const again = await runCli(['dsr', 'bundle', 'keygen', '--out', keyFile]);
    expect(again.code).toBe(2);
  });

  it('signs the defaults and verifies the round trip; a tampered bundle and a stale version are invalid', async () => {
    const out = join(work, 'bundle-5.jws');
    const signed = await runCli(['dsr', 'bundle', 'sign', '--key', keyFile, '--version', '5', '--out', out]);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    const { kid } = json(signed.stdout);
    const jws = readFileSync(out, 'utf8').trim();
    expect(JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'ES256',
      typ: 'dsr-policy-bundle+jws',
      kid,
    });

    const verified = await runCli(['dsr', 'bundle', 'verify', out, '--key', stranger, '--key', publicFile]);
    expect(verified.code).toBe(0);
    expect(json(verified.stdout)).toMatchObject({ valid: true, version: 5, kid, code: null });
    // The library agrees, and the payload is the defaults.
    const bundle = verifyBundle(jws, { keys: new Map([[kid, createPublicKey(readFileSync(publicFile))]]) });
    expect(bundle.payload).toEqual({ ...defaultBundlePayload(), version: 5 });

    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const changed = JSON.parse(Buffer.from(payload, 'base64url').toString());
    changed.data.security_data.blocklistClientIPs = [];
    const tampered = file(
      'tampered.jws',
      `${header}.${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`,
    );
    const refused = await runCli(['dsr', 'bundle', 'verify', tampered, '--key', publicFile]);
    expect(refused.code).toBe(1);
    expect(json(refused.stdout)).toMatchObject({ valid: false, code: 'DSR_BUNDLE_SIGNATURE_INVALID' });

    const unknownKey = await runCli(['dsr', 'bundle', 'verify', out, '--key', stranger]);
    expect(unknownKey.code).toBe(1);
    expect(json(unknownKey.stdout)).toMatchObject({ valid: false, code: 'DSR_BUNDLE_SIGNATURE_INVALID' });

    const stale = await runCli(['dsr', 'bundle', 'verify', out, '--key', publicFile, '--min-version', '5']);
    expect(stale.code).toBe(1);
    expect(json(stale.stdout)).toMatchObject({ valid: false, code: 'DSR_BUNDLE_VERSION_STALE' });
    const newer = await runCli(['dsr', 'bundle', 'verify', out, '--key', publicFile, '--min-version', '4']);
    expect(newer.code).toBe(0);
  });

  it('signs given policies, data and PIP lists, and decide evaluates the signed bundle', async () => {
    const policies = file(
      'policies.cedar',
      `${DEFAULT_POLICIES}
@id("no-deletes")
@scope("security")
@errorCode("request_method_not_allowed")
@description("Deletes are not allowed")
forbid (principal, action, resource) when { context.request.method == "DELETE" };
`,
    );
    const tor = file('tor.txt', '# exit nodes\n198.51.100.7\n');
    const out = join(work, 'custom.jws');
    const signed = await runCli([
      'dsr',
      'bundle',
      'sign',
      '--key',
      keyFile,
      '--version',
      '7',
      '--policies',
      policies,
      '--data',
      vectorPath('dsr/policy-bundle'),
      '--pip',
      `torExitNodes=${tor}`,
      '--out',
      out,
    ]);
    expect(signed.code).toBe(0);
    const decideWith = (input: object) =>
      runCli([
        'dsr',
        'decide',
        '--input',
        file('custom-input.json', JSON.stringify(input)),
        '--bundle',
        out,
        '--key',
        publicFile,
      ]);
    const deleting = await decideWith(androidInput({ method: 'DELETE' }));
    expect(deleting.code).toBe(1);
    expect(json(deleting.stdout).security.violations.map((v: { errorCode: string }) => v.errorCode)).toEqual([
      'request_method_not_allowed',
    ]);
    const torExit = await decideWith(androidInput({ clientIP: '198.51.100.7' }));
    expect(json(torExit.stdout).security.violations.map((v: { errorCode: string }) => v.errorCode)).toEqual([
      errorCodeOf('security-tor-exit-node'),
    ]);
    expect((await decideWith(androidInput())).code).toBe(0);

    // A bundle that does not verify is a usage error for decide.
    const wrongKey = await runCli([
      'dsr',
      'decide',
      '--input',
      file('any.json', '{}'),
      '--bundle',
      out,
      '--key',
      stranger,
    ]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/DSR_BUNDLE_SIGNATURE_INVALID/);
  });

  it('refuses to sign invalid policies (exit 2)', async () => {
    const broken = file('broken.cedar', 'forbid (principal, action, resource);');
    const result = await runCli(['dsr', 'bundle', 'sign', '--key', keyFile, '--version', '1', '--policies', broken]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DSR_BUNDLE_POLICIES_INVALID/);
  });

  it('pushes a bundle with PUT to the admin API and prints the answer; a refusal exits 1', async () => {
    const jws = readFileSync(join(work, 'bundle-5.jws'), 'utf8').trim();
    const requests: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    let status = 200;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        requests.push({ method: request.method, url: request.url, headers: request.headers, body });
        const answer =
          status === 200
            ? { slot: 'active', version: 5, kid: 'k' }
            : { errorCode: 'DSR_BUNDLE_VERSION_STALE', description: 'stale', traceId: 't' };
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const pushed = await runCli(
        ['dsr', 'bundle', 'push', join(work, 'bundle-5.jws'), '--url', base, '--slot', 'active'],
        { env: { KEYWARD_ADMIN_API_KEY: 'admin-key-from-the-environment-000' } },
      );
      expect(pushed.stderr).toBe('');
      expect(pushed.code).toBe(0);
      expect(json(pushed.stdout)).toEqual({ slot: 'active', version: 5, kid: 'k' });
      expect(requests[0]).toMatchObject({
        method: 'PUT',
        url: '/admin/v1/dsr/bundles/active',
        headers: { authorization: 'Bearer admin-key-from-the-environment-000', 'content-type': 'application/jose' },
        body: jws,
      });

      status = 409;
      const refused = await runCli(
        ['dsr', 'bundle', 'push', '-', '--url', base.slice(0, -1), '--slot', 'simulation', '--api-key', 'flag-key'],
        { input: jws },
      );
      expect(refused.code).toBe(1);
      expect(json(refused.stdout)).toMatchObject({ errorCode: 'DSR_BUNDLE_VERSION_STALE' });
      expect(refused.stderr).toMatch(/answered 409/);
      expect(requests[1]).toMatchObject({
        url: '/admin/v1/dsr/bundles/simulation',
        headers: { authorization: 'Bearer flag-key' },
      });

      const noKey = await runCli([
        'dsr',
        'bundle',
        'push',
        join(work, 'bundle-5.jws'),
        '--url',
        base,
        '--slot',
        'active',
      ]);
      expect(noKey.code).toBe(2);
      expect(noKey.stderr).toMatch(/KEYWARD_ADMIN_API_KEY/);
      const badSlot = await runCli([
        'dsr',
        'bundle',
        'push',
        join(work, 'bundle-5.jws'),
        '--url',
        base,
        '--slot',
        'x',
        '--api-key',
        'k',
      ]);
      expect(badSlot.code).toBe(2);
      expect(requests).toHaveLength(2);
    } finally {
      server.close();
    }
  });
});
