import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, serve } from '../helpers/cli.js';
import { SIMULATOR_APP_ID } from '../helpers/server.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-warden-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The sandbox is offline: Android revocation list fetching is off for these servers. */
const OFFLINE = { KEYWARD_ANDROID_REVOCATION_ENABLED: 'false' };

describe('keyward ca', () => {
  it('creates a CA directory once (keys 0600) and shows the configured CA', async () => {
    const out = join(work, 'ca');
    const init = await runCli(['ca', 'init', '--out', out, '--name', 'Clinic Devices']);
    expect(init.code).toBe(0);
    const printed = JSON.parse(init.stdout);
    expect(printed.configuration['warden.ca.intermediateKeyFile']).toBe(join(out, 'intermediate.key.pem'));
    expect(statSync(join(out, 'intermediate.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'root.key.pem')).mode & 0o777).toBe(0o600);

    const again = await runCli(['ca', 'init', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; choose a new directory');

    const env = {
      KEYWARD_WARDEN_CA_ROOT_CERTIFICATE_FILE: join(out, 'root.pem'),
      KEYWARD_WARDEN_CA_INTERMEDIATE_CERTIFICATE_FILE: join(out, 'intermediate.pem'),
      KEYWARD_WARDEN_CA_INTERMEDIATE_KEY_FILE: join(out, 'intermediate.key.pem'),
    };
    const show = await runCli(['ca', 'show', '--data-dir', join(work, 'show-data')], { env });
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown.root.subject).toBe('CN=Clinic Devices Root, O=Keyward');
    expect(shown.intermediate).toMatchObject({ subject: 'CN=Clinic Devices Issuing CA, O=Keyward', key: 'EC P-256' });
    expect(shown.root.sha256Fingerprint).toBe(
      new X509Certificate(readFileSync(join(out, 'root.pem'))).fingerprint256.replaceAll(':', '').toLowerCase(),
    );

    const broken = await runCli(['ca', 'show'], {
      env: { ...env, KEYWARD_WARDEN_CA_INTERMEDIATE_KEY_FILE: join(out, 'root.key.pem') },
    });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('the intermediate key does not belong to the intermediate certificate');
  });
});

describe('keyward simulate warden and keyward certificates', () => {
  it('runs the flow from simulated Android and iOS devices against a server started with --trust-simulator-roots, then revokes', async () => {
    const cwd = mkdtempSync(join(work, 'serve-'));
    const server = await serve(['--trust-simulator-roots'], {
      cwd,
      env: { ...OFFLINE, KEYWARD_APPLE_APP_IDS: JSON.stringify([SIMULATOR_APP_ID]), KEYWARD_APPLE_ENVIRONMENT: 'any' },
    });
    let serial = '';
    try {
      expect(server.logs.some((line) => line.level === 40 && /trustSimulatorRoots is on/.test(line.msg))).toBe(true);
      for (const platform of ['android', 'ios']) {
        const result = await runCli([
          'simulate',
          'warden',
          '--platform',
          platform,
          '--url',
          server.url,
          '--device-name',
          `CLI ${platform}`,
        ]);
        expect(result.code, result.stderr).toBe(0);
        const response = JSON.parse(result.stdout);
        expect(response.type).toBe('Success');
        const chain = response.certificateChain.map(
          (certificate: string) => new X509Certificate(Buffer.from(certificate, 'base64url')),
        );
        expect(chain).toHaveLength(3);
        expect(chain[0].verify(chain[1].publicKey)).toBe(true);
        if (platform === 'android') serial = chain[0].serialNumber.toLowerCase();
      }
      const issuedWarnings = server.logs.filter(
        (line) => line.level === 40 && /issued for a SIMULATED device/.test(line.msg),
      );
      expect(issuedWarnings.map((line) => line.platform)).toEqual(['android', 'apple']);

      const unknownPolicy = await runCli([
        'simulate',
        'warden',
        '--platform',
        'android',
        '--url',
        server.url,
        '--policy',
        'nope',
      ]);
      expect(unknownPolicy.code).toBe(2);
      expect(unknownPolicy.stderr).toMatch(/answered 404/);
    } finally {
      expect(await server.stop()).toBe(0);
    }

    const listed = await runCli(['certificates', 'list', '--limit', '5'], { cwd });
    expect(listed.code).toBe(0);
    const certificates = JSON.parse(listed.stdout);
    expect(certificates.map((certificate: { platform: string }) => certificate.platform).sort()).toEqual([
      'android',
      'apple',
    ]);
    expect(
      certificates.find((certificate: { serial: string }) => certificate.serial === serial)?.summary,
    ).toMatchObject({ deviceName: 'CLI android' });

    const revoked = await runCli(['certificates', 'revoke', serial, '--reason', 'keyCompromise'], { cwd });
    expect(JSON.parse(revoked.stdout)).toEqual({ serial, outcome: 'revoked' });
    expect(revoked.code).toBe(0);
    const twice = await runCli(['certificates', 'revoke', serial], { cwd });
    expect(JSON.parse(twice.stdout)).toEqual({ serial, outcome: 'already-revoked' });
    expect(twice.code).toBe(1);
    expect((await runCli(['certificates', 'revoke', serial, '--reason', 'because'], { cwd })).code).toBe(2);

    // The revocation is on the CRL the next server start serves.
    const again = await serve([], { cwd, env: OFFLINE });
    try {
      const crl = Buffer.from(await (await fetch(`${again.url}/api/v1/crl`)).arrayBuffer());
      expect(crl.includes(Buffer.from(serial, 'hex'))).toBe(true);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });

  it('prints the Failure and exits 1 when the server does not trust the simulator roots', async () => {
    const cwd = mkdtempSync(join(work, 'untrusting-'));
    const server = await serve([], { cwd, env: OFFLINE });
    try {
      const result = await runCli(['simulate', 'warden', '--platform', 'android', '--url', server.url]);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual({
        type: 'Failure',
        kind: 'TRUST',
        explanation: 'The certificate chain does not lead to a trusted root.',
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
