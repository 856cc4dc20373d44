import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appleVerifierOptions } from './apple-verifier.js';
import { ConfigError, loadConfig } from './load.js';
import { OPTIONS } from './options.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-apple-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('apple configuration', () => {
  it('has a documented default for every option', () => {
    expect(loadConfig({ env: {} }).config.apple).toEqual({
      appIds: [],
      environment: 'production',
      appleRoots: true,
      extraRootFiles: [],
      checkReceipts: true,
      extraReceiptRootFiles: [],
      maxChainLength: 3,
    });
    const apple = OPTIONS.filter((option) => option.path[0] === 'apple');
    expect(apple.map((option) => option.env)).toContain('KEYWARD_APPLE_APP_IDS');
    for (const option of apple) expect(option.schema.description, option.env).toBeTruthy();
  });

  it('reads app ids from the environment and rejects malformed ones, naming the option', () => {
    const { config } = loadConfig({
      env: {
        KEYWARD_APPLE_APP_IDS: '["ABCDE12345.com.example.app","ABCDE12345.com.example.clip"]',
        KEYWARD_APPLE_ENVIRONMENT: 'any',
      },
    });
    expect(config.apple.appIds).toEqual(['ABCDE12345.com.example.app', 'ABCDE12345.com.example.clip']);
    expect(config.apple.environment).toBe('any');
    expect(() => loadConfig({ env: { KEYWARD_APPLE_APP_IDS: '["com.example.app"]' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { KEYWARD_APPLE_APP_IDS: '["com.example.app"]' } })).toThrow(/apple\.appIds/);
    expect(() => loadConfig({ env: { KEYWARD_APPLE_ENVIRONMENT: 'sandbox' } })).toThrow(/apple\.environment/);
  });

  it('refuses to build a verifier without app ids or without roots (configuration mistakes)', () => {
    const defaults = loadConfig({ env: {} }).config.apple;
    expect(() => appleVerifierOptions(defaults)).toThrow(ConfigError);
    const appIds = ['ABCDE12345.com.example.app'];
    expect(() => appleVerifierOptions({ ...defaults, appIds, appleRoots: false })).toThrow(/no attestation root/);
    expect(() =>
      appleVerifierOptions({ ...defaults, appIds, appleRoots: false, extraRootFiles: [join(work, 'missing.pem')] }),
    ).toThrow();
    const empty = join(work, 'empty.pem');
    writeFileSync(empty, 'no certificate here\n');
    expect(() => appleVerifierOptions({ ...defaults, appIds, extraRootFiles: [empty] })).toThrow(
      /apple\.extraRootFiles: .*holds no PEM certificate/,
    );
    const options = appleVerifierOptions({ ...defaults, appIds });
    expect(options.anchors.size).toBe(1);
    expect(options.receiptAnchors?.size).toBe(1);
    expect(appleVerifierOptions({ ...defaults, appIds, checkReceipts: false }).receiptAnchors).toBeUndefined();
  });
});
