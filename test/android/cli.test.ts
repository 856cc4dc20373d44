import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { vectorPath } from '../helpers/vectors.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-android-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const akita = vectorPath('android/keyattestation/testdata/akita/sdk34/TEE_EC_NONE.pem');
const marlin = vectorPath('android/keyattestation/testdata/marlin/sdk29/TEE_EC_NONE.pem');
const akitaAt = new Date(1727389885586).toISOString();
const marlinAt = new Date(1572308512000).toISOString();
const PACKAGE = 'com.google.wireless.android.security.attestationverifier.collector';
const SIGNER = 'b64:EDk47kU35Z6O55L2VFBPuDRvxrNG0LvEQV/DOfz8jsE=';

/** Google's test phones are unlocked and run pre-release patch levels. */
const config = join(work, 'test-devices.yaml');
writeFileSync(
  config,
  'android:\n  revocation:\n    enabled: false\n  policy:\n    requireLockedBootloader: false\n    maxPatchMonthsAhead: 12\n',
);

const verify = (...args: string[]) => runCli(['verify', 'android-key', ...args]);

describe('keyward verify android-key', () => {
  it('prints the verified facts and exits 0', async () => {
    const result = await verify(akita, '--challenge', 'utf8:challenge', '--at', akitaAt, '--config', config);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({
      verified: true,
      platform: 'android',
      securityLevel: 'trusted-environment',
      osVersion: '14.0.0',
      osPatchLevel: '2024-08',
      app: { ids: [PACKAGE] },
    });
    expect(output.facts.keyDescription.attestationVersion).toBe(300);
  });

  it('accepts the challenge in every byte notation', async () => {
    for (const challenge of ['Y2hhbGxlbmdl', 'b64:Y2hhbGxlbmdl', 'b64url:Y2hhbGxlbmdl', 'hex:6368616c6c656e6765']) {
      expect((await verify(akita, '--challenge', challenge, '--at', akitaAt, '--config', config)).code, challenge).toBe(
        0,
      );
    }
  });

  it('prints the rejection and exits 1', async () => {
    const wrongChallenge = await verify(akita, '--challenge', 'utf8:other', '--at', akitaAt, '--config', config);
    expect(wrongChallenge.code).toBe(1);
    expect(JSON.parse(wrongChallenge.stdout)).toMatchObject({
      verified: false,
      category: 'CONTENT',
      code: 'CHALLENGE_MISMATCH',
      message: expect.any(String),
    });

    const unlocked = await verify(akita, '--challenge', 'utf8:challenge', '--at', akitaAt, '--no-revocation');
    expect(JSON.parse(unlocked.stdout)).toMatchObject({
      verified: false,
      category: 'TRUST',
      code: 'BOOTLOADER_UNLOCKED',
    });
  });

  it('applies --package and --signer-digest', async () => {
    const base = [akita, '--challenge', 'utf8:challenge', '--at', akitaAt, '--config', config];
    expect((await verify(...base, '--package', PACKAGE, '--signer-digest', SIGNER)).code).toBe(0);
    expect(JSON.parse((await verify(...base, '--package', 'com.example.other')).stdout).code).toBe(
      'PACKAGE_NOT_ALLOWED',
    );
    expect(
      JSON.parse((await verify(...base, '--package', PACKAGE, '--signer-digest', `hex:${'00'.repeat(32)}`)).stdout)
        .code,
    ).toBe('SIGNER_NOT_ALLOWED');
  });

  it('refuses software attestation unless --allow-software', async () => {
    const base = [marlin, '--challenge', 'utf8:challenge', '--at', marlinAt, '--config', config];
    expect(JSON.parse((await verify(...base)).stdout)).toMatchObject({
      verified: false,
      code: 'SOFTWARE_ATTESTATION_ROOT',
    });
    const allowed = await verify(...base, '--allow-software');
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).securityLevel).toBe('software');
  });

  it('checks revocation against a given copy of the status list', async () => {
    const result = await verify(
      akita,
      '--challenge',
      'utf8:challenge',
      '--at',
      akitaAt,
      '--config',
      config,
      '--revocation-list',
      vectorPath('android/revocation-status-sample.json'),
    );
    expect(result.code).toBe(0);
  });

  it('exits 2 on usage errors', async () => {
    expect((await verify(join(work, 'missing.pem'), '--challenge', 'utf8:x')).code).toBe(2);
    expect((await verify(akita)).code).toBe(2);
    expect((await verify(akita, '--challenge', 'utf8:x', '--at', 'yesterday')).code).toBe(2);
    expect((await verify(akita, '--challenge', 'utf8:x', '--signer-digest', 'hex:00')).code).toBe(2);
    const empty = join(work, 'empty.pem');
    writeFileSync(empty, 'no certificates here');
    const noPem = await verify(empty, '--challenge', 'utf8:x');
    expect(noPem.code).toBe(2);
    expect(noPem.stderr).toContain('holds no PEM certificates');
  });
});
