import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, serve } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-config-check-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The named-policy example the README used to carry: its signer digest is a placeholder (minVersion, also missing, defaults to 0). */
const BAD_POLICY = `warden:
  policies:
    clinic:
      android: { requireStrongBox: true, minPatchLevel: "2026-01", apps: [{ packageName: org.example.clinic, signerDigests: ["<sha256 hex>"] }] }
      apple: { appIds: ["ABCDE12345.org.example.clinic"], environment: production }
`;

describe('keyward config check validates what serve validates', () => {
  it('refuses an invalid named Warden policy with the message serve gives, without writing to dataDir', async () => {
    const file = join(work, 'bad-policy.yaml');
    writeFileSync(file, BAD_POLICY);
    const dataDir = join(work, 'check-data');
    const check = await runCli(['config', 'check', '--config', file, '--data-dir', dataDir]);
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/^keyward: invalid configuration: warden\.policies\.clinic\.android\.apps\.0\./);
    expect(existsSync(dataDir)).toBe(false);

    const served = await serve(['--config', file, '--data-dir', join(work, 'serve-data')]).then(
      async (server) => {
        await server.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(served).toContain(check.stderr.trim());
  });

  it('refuses a missing key file as serve does', async () => {
    const env = {
      KEYWARD_KEYS_GENERATE_DEVELOPMENT_KEYS: 'false',
      KEYWARD_KEYS_MAC_KEYS_FILE: join(work, 'missing.json'),
    };
    const check = await runCli(['config', 'check', '--data-dir', join(work, 'keys-data')], { env });
    expect(check.code).toBe(2);
    expect(check.stderr).toMatch(/keys\.macKeysFile: cannot read/);
  });

  it('passes the development defaults and prints the configuration with secrets redacted', async () => {
    const check = await runCli(['config', 'check', '--data-dir', join(work, 'default-data')], {
      env: { KEYWARD_DATABASE_URL: 'postgres://keyward:hunter2@db.invalid:5432/keyward' },
    });
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({
      valid: true,
      config: { databaseUrl: 'postgres://keyward:***@db.invalid:5432/keyward' },
    });
    expect(check.stdout).not.toContain('hunter2');
  });
});
