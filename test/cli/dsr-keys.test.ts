import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DsrSigningKeys } from '../../src/features/dsr/signing-keys.js';
import { runCli } from '../helpers/cli.js';

describe('keyward dsr keys', () => {
  const directory = mkdtempSync(join(tmpdir(), 'keyward-dsr-keys-'));
  const file = join(directory, 'dsr-signing-keys.json');
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('init writes one key the server can load, readable by its owner only, and never overwrites', async () => {
    const created = await runCli(['dsr', 'keys', 'init', '--out', file]);
    expect(created.code).toBe(0);
    const { kid } = JSON.parse(created.stdout);
    expect(DsrSigningKeys.parse(readFileSync(file, 'utf8')).current.kid).toBe(kid);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await runCli(['dsr', 'keys', 'init', '--out', file]);
    expect(again.code).toBe(2);
    expect(DsrSigningKeys.parse(readFileSync(file, 'utf8')).current.kid).toBe(kid);
  });

  it('rotate adds a key that signs only once its start has come, then retires the old one', async () => {
    const before = DsrSigningKeys.parse(readFileSync(file, 'utf8'));
    const oldKid = before.current.kid;
    const rotated = await runCli(['dsr', 'keys', 'rotate', '--file', file, '--starts-in', '3600']);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout).signing).toBe(oldKid);
    const ring = DsrSigningKeys.parse(readFileSync(file, 'utf8'));
    const newKid = ring.jwks.keys.map((key) => String(key.kid)).find((id) => id !== oldKid)!;
    expect(ring.jwks.keys).toHaveLength(2);
    expect(ring.signingKey(Date.now()).kid).toBe(oldKid);
    expect(ring.signingKey(Date.now() + 3_601_000).kid).toBe(newKid);

    const retired = await runCli(['dsr', 'keys', 'rotate', '--file', file, '--retire', oldKid, '--no-add']);
    expect(retired.code).toBe(0);
    expect(DsrSigningKeys.parse(readFileSync(file, 'utf8')).jwks.keys.map((key) => String(key.kid))).toEqual([newKid]);
    const empty = await runCli(['dsr', 'keys', 'rotate', '--file', file, '--retire', newKid, '--no-add']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no signing key');
  });
});
