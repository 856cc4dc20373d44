import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIONS_END, OPTIONS_START, optionsTable } from './docs.js';
import { ConfigError, loadConfig, redactConfig } from './load.js';
import { OPTIONS } from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'keyward-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('configuration', () => {
  it('has documented defaults for every option', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.port).toBe(18013);
    expect(config.host).toBe('127.0.0.1');
    expect(config.dataDir).toBe('./data');
    expect(config.challenges).toEqual({
      bytes: 32,
      ttlSeconds: 300,
      retentionSeconds: 3600,
      purgeIntervalSeconds: 60,
      purposes: { default: {} },
    });
    for (const option of OPTIONS) expect(option.schema.description, option.env).toBeTruthy();
  });

  it('layers defaults < file < env < flags', () => {
    const yaml = file('layers.yaml', 'port: 1000\nhost: 0.0.0.0\nchallenges:\n  bytes: 48\n  ttlSeconds: 60\n');
    const { config } = loadConfig({
      file: yaml,
      env: { KEYWARD_PORT: '2000', KEYWARD_CHALLENGES_TTL_SECONDS: '90', KEYWARD_TRUST_PROXY: 'true' },
      flags: { port: 3000 },
    });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.challenges.bytes).toBe(48);
    expect(config.challenges.ttlSeconds).toBe(90);
    expect(config.trustProxy).toBe(true);
  });

  it('reads JSON files and JSON-valued env vars', () => {
    const json = file('c.json', JSON.stringify({ challenges: { purposes: { login: { bytes: 64 } } } }));
    expect(loadConfig({ file: json, env: {} }).config.challenges.purposes).toEqual({ login: { bytes: 64 } });
    const { config } = loadConfig({ env: { KEYWARD_CHALLENGES_PURPOSES: '{"a":{},"b":{"ttlSeconds":5}}' } });
    expect(config.challenges.purposes).toEqual({ a: {}, b: { ttlSeconds: 5 } });
  });

  it('names the option, its source and its env var when a value is invalid', () => {
    expect(() => loadConfig({ env: { KEYWARD_CHALLENGES_BYTES: '500' } })).toThrow(
      /invalid configuration: challenges\.bytes = 500 \(from KEYWARD_CHALLENGES_BYTES\) \[env KEYWARD_CHALLENGES_BYTES\]: .*128/,
    );
    expect(() => loadConfig({ env: {}, flags: { port: 70000 } })).toThrow(/port = 70000 \(from command-line flag\)/);
    const yaml = file('bad.yaml', 'challenges:\n  ttlSeconds: soon\n');
    expect(() => loadConfig({ file: yaml, env: {} })).toThrow(
      new RegExp(`challenges\\.ttlSeconds = "soon" \\(from config file ${yaml}\\)`),
    );
    expect(() => loadConfig({ env: { KEYWARD_DATABASE_URL: 'mysql://x' } })).toThrow(
      /databaseUrl \(from KEYWARD_DATABASE_URL\)/,
    );
    expect(() => loadConfig({ env: { KEYWARD_CHALLENGES_PURPOSES: '{nope' } })).toThrow(
      /challenges\.purposes \(from KEYWARD_CHALLENGES_PURPOSES\) must be JSON/,
    );
    expect(() => loadConfig({ env: { KEYWARD_LOG_LEVEL: 'loud' } })).toThrow(ConfigError);
  });

  it('refuses a challenge purpose that a protocol uses, naming the option', () => {
    for (const name of ['warden', 'mdvm', 'fido2', 'dsr', 'provisioning']) {
      const yaml = file(`reserved-${name}.yaml`, `challenges:\n  purposes:\n    login: {}\n    ${name}: {}\n`);
      expect(() => loadConfig({ file: yaml, env: {} })).toThrow(ConfigError);
      expect(() => loadConfig({ file: yaml, env: {} })).toThrow(
        new RegExp(`^invalid configuration: challenges\\.purposes \\(from config file ${yaml}\\) names "${name}"`),
      );
    }
    expect(() => loadConfig({ env: { KEYWARD_CHALLENGES_PURPOSES: '{"warden":{"bytes":16}}' } })).toThrow(
      /challenges\.purposes \(from KEYWARD_CHALLENGES_PURPOSES\) names "warden"/,
    );
    expect(
      loadConfig({ env: { KEYWARD_CHALLENGES_PURPOSES: '{"warden-login":{}}' } }).config.challenges.purposes,
    ).toEqual({ 'warden-login': {} });
  });

  it('rejects unknown options in files and reports unknown KEYWARD_ env vars', () => {
    const yaml = file('unknown.yaml', 'prot: 1\n');
    expect(() => loadConfig({ file: yaml, env: {} })).toThrow(/unknown option/);
    expect(loadConfig({ env: { KEYWARD_PROT: '1', KEYWARD_PORT: '1' } }).unknownEnv).toEqual(['KEYWARD_PROT']);
  });

  it('never prints secrets', () => {
    const { config } = loadConfig({
      env: {
        KEYWARD_DATABASE_URL: 'postgres://app:hunter2@db:5432/keyward',
        KEYWARD_REDIS_URL: 'redis://:s3cret@cache:6379',
        KEYWARD_METRICS_BEARER_TOKEN: 'tok:en-0123456789abcdefghij',
      },
    });
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toMatch(/hunter2|s3cret|tok:en/);
    expect(printed).toContain('postgres://app:***@db:5432/keyward');
    expect(() => loadConfig({ env: { KEYWARD_DATABASE_URL: 'mysql://u:hunter2@x' } })).toThrow(/^(?!.*hunter2)/);
  });

  it('wants a metrics bearer token of at least 24 characters, like admin keys, without printing it', () => {
    expect(() => loadConfig({ env: { KEYWARD_METRICS_BEARER_TOKEN: 'short-metrics-token' } })).toThrow(
      /^invalid configuration: metrics\.bearerToken \(from KEYWARD_METRICS_BEARER_TOKEN\)(?!.*short-metrics-token)/,
    );
    expect(loadConfig({ env: { KEYWARD_METRICS_BEARER_TOKEN: 'metrics-token-0123456789ab' } }).config.metrics).toEqual({
      enabled: true,
      bearerToken: 'metrics-token-0123456789ab',
    });
    expect(loadConfig({ env: {} }).config.metrics.bearerToken).toBe('');
  });

  it('is documented in docs/configuration.md, option by option (npm run docs regenerates it)', () => {
    const page = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const option of OPTIONS) expect(page, option.env).toContain(`\`${option.env}\``);
    expect(page).toContain(`${OPTIONS_START}\n${optionsTable()}${OPTIONS_END}`);
  });
});

describe('configuration shapes', () => {
  it('reports a section given as a scalar instead of replacing it with defaults', () => {
    const yaml = file('scalar.yaml', 'challenges: 5\n');
    expect(() => loadConfig({ file: yaml, env: {} })).toThrow(/invalid configuration: challenges/);
  });
});
