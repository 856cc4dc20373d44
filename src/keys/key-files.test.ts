import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOrCreateKeyFile } from './key-files.js';
import { MIN_MAC_SECRET_BYTES, generateMacKeyFile, parseMacKeyFile } from './mac-keys.js';

describe('key files', () => {
  it('creates a key once with mode 0600 and reads the same key afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-keys-'));
    try {
      const path = join(dir, 'keys', 'mac-keys.json');
      const first = readOrCreateKeyFile(path, () => generateMacKeyFile(0));
      const second = readOrCreateKeyFile(path, () => generateMacKeyFile(0));
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.data.equals(first.data)).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(parseMacKeyFile(readFileSync(path, 'utf8'), path).current.secret.length).toBe(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses short secrets, duplicate kids and unparseable files', () => {
    const key = (kid: string, bytes: number) => ({
      kid,
      secret: Buffer.alloc(bytes, 1).toString('base64url'),
      createdAt: '2026-01-01T00:00:00Z',
    });
    expect(() => parseMacKeyFile(JSON.stringify({ keys: [key('a', MIN_MAC_SECRET_BYTES - 1)] }), 'f')).toThrow(
      /at least 32 bytes/,
    );
    expect(() => parseMacKeyFile(JSON.stringify({ keys: [key('a', 32), key('a', 32)] }), 'f')).toThrow(/unique/);
    expect(() => parseMacKeyFile('{', 'f')).toThrow(/not JSON/);
    expect(() => parseMacKeyFile('{"keys":[]}', 'f')).toThrow(/at least one key/);
  });
});
