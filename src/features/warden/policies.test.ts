import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../config/config-error.js';
import { overridePolicy } from './policies.js';

const base = loadConfig({ env: {}, flags: {} }).config.android.policy;
const DIGEST = 'ab'.repeat(32);

describe('named policy overrides', () => {
  it("fills an override's app entries with the schema defaults, as android.policy.apps does", () => {
    const policy = overridePolicy(
      base,
      { apps: [{ packageName: 'org.example.clinic' }] },
      'warden.policies.clinic.android',
    );
    expect(policy.apps).toEqual([{ packageName: 'org.example.clinic', signerDigests: [], minVersion: 0 }]);
    expect(base.apps).toEqual([]);
  });

  it('keeps what the override states and refuses what the schema refuses, naming the option', () => {
    const policy = overridePolicy(
      base,
      { requireStrongBox: true, apps: [{ packageName: 'a.b', signerDigests: [DIGEST], minVersion: 7 }] },
      'p',
    );
    expect(policy).toMatchObject({
      requireStrongBox: true,
      apps: [{ packageName: 'a.b', signerDigests: [DIGEST], minVersion: 7 }],
    });
    expect(() =>
      overridePolicy(
        base,
        { apps: [{ packageName: 'a.b', signerDigests: ['<sha256 hex>'] }] },
        'warden.policies.clinic.android',
      ),
    ).toThrow(ConfigError);
    expect(() =>
      overridePolicy(
        base,
        { apps: [{ packageName: 'a.b', signerDigests: ['<sha256 hex>'] }] },
        'warden.policies.clinic.android',
      ),
    ).toThrow(/warden\.policies\.clinic\.android\.apps\.0\.signerDigests\.0/);
  });
});
