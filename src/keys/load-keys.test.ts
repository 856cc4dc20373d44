import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { loadServerKeys } from './load-keys.js';
import { generateMacKeyFile } from './mac-keys.js';

const work = mkdtempSync(join(tmpdir(), 'keyward-load-keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const clock = { now: () => Date.UTC(2026, 10, 26) };
const configFor = (flags: Record<string, unknown>) => loadConfig({ env: {}, flags }).config;

describe('loadServerKeys', () => {
  it('generates development keys once under <dataDir>/keys and reads the same keys afterwards', () => {
    const dataDir = join(work, 'development');
    const first = loadServerKeys(configFor({ dataDir }), clock);
    expect(first.development.map(({ name, created }) => [name, created])).toEqual([
      ['keys.macKeysFile', true],
      ['warden.ca', true],
      ['mdvm.signingKeysFile', true],
      ['dsr.deviceCa', true],
      ['dsr.signingKeysFile', true],
      ['tls.certFile', true],
      ['provisioning.issuer', true],
    ]);
    for (const file of [
      'mac-keys.json',
      'binding-ca/intermediate.key.pem',
      'binding-ca/root.key.pem',
      'mdvm/signing-keys.json',
      'mdvm/root.key.pem',
      'dsr-device-ca/intermediate.key.pem',
      'dsr-device-ca/root.key.pem',
      'dsr-signing-keys.json',
      'tls/key.pem',
      'mdoc-issuer/document-signer.key.pem',
      'mdoc-issuer/iaca.key.pem',
    ]) {
      expect(statSync(join(dataDir, 'keys', file)).mode & 0o777).toBe(0o600);
    }
    const second = loadServerKeys(configFor({ dataDir }), clock);
    expect(second.development.every(({ created }) => !created)).toBe(true);
    expect(second.bindingCa!.intermediate.fingerprint).toBe(first.bindingCa!.intermediate.fingerprint);
    expect(second.mdvmSigningKeys!.current.kid).toBe(first.mdvmSigningKeys!.current.kid);
    expect(second.dsr!.deviceCa.intermediate.fingerprint).toBe(first.dsr!.deviceCa.intermediate.fingerprint);
    expect(second.dsr!.signingKeys.current.kid).toBe(first.dsr!.signingKeys.current.kid);
    expect(second.tls!.certificate).toBe(first.tls!.certificate);
    expect(second.mdocIssuer!.certificate.fingerprint).toBe(first.mdocIssuer!.certificate.fingerprint);
    expect(second.macKeys.current.secret.equals(first.macKeys.current.secret)).toBe(true);
  });

  it('loads no CA and no signing keys for disabled features, so production needs only the MAC key file', () => {
    const dataDir = join(work, 'disabled');
    const macKeysFile = join(work, 'mac-keys.json');
    writeFileSync(macKeysFile, generateMacKeyFile(clock.now()), { mode: 0o600 });
    const keys = loadServerKeys(
      configFor({
        dataDir,
        keys: { macKeysFile, generateDevelopmentKeys: false },
        warden: { enabled: false },
        mdvm: { enabled: false },
        dsr: { enabled: false },
        provisioning: { enabled: false },
      }),
      clock,
    );
    expect(keys.bindingCa).toBeUndefined();
    expect(keys.mdvmSigningKeys).toBeUndefined();
    expect(keys.dsr).toBeUndefined();
    expect(keys.tls).toBeUndefined();
    expect(keys.development).toEqual([]);
    expect(existsSync(join(dataDir, 'keys'))).toBe(false);

    // Enabled features without their keys stop the start, naming what is missing.
    const strict = { dataDir, keys: { macKeysFile, generateDevelopmentKeys: false } };
    const only = (feature: 'warden' | 'mdvm' | 'dsr' | 'provisioning') =>
      configFor({
        ...strict,
        ...Object.fromEntries(
          (['warden', 'mdvm', 'dsr', 'provisioning'] as const).map((name) => [name, { enabled: name === feature }]),
        ),
      });
    expect(() => loadServerKeys(only('warden'), clock)).toThrow(
      'invalid configuration: warden.ca files are empty and keys.generateDevelopmentKeys is false',
    );
    expect(() => loadServerKeys(only('mdvm'), clock)).toThrow(
      'invalid configuration: mdvm.signingKeysFile is empty and keys.generateDevelopmentKeys is false',
    );
    expect(() => loadServerKeys(only('dsr'), clock)).toThrow(
      'invalid configuration: dsr.deviceCa files are empty and keys.generateDevelopmentKeys is false',
    );
    expect(() => loadServerKeys(only('provisioning'), clock)).toThrow(
      'invalid configuration: provisioning.issuer files are empty and keys.generateDevelopmentKeys is false',
    );
  });

  it('names the option and the path of a configured file it cannot use', () => {
    const missing = join(work, 'nowhere', 'mac-keys.json');
    expect(() =>
      loadServerKeys(configFor({ dataDir: join(work, 'bad'), keys: { macKeysFile: missing } }), clock),
    ).toThrow(new RegExp(`^invalid configuration: keys\\.macKeysFile: cannot read ${missing.replace(/[.]/g, '\\.')}`));
    const partial = join(work, 'root.pem');
    writeFileSync(partial, 'not a certificate');
    expect(() =>
      loadServerKeys(
        configFor({ dataDir: join(work, 'bad'), warden: { ca: { rootCertificateFile: partial } } }),
        clock,
      ),
    ).toThrow('warden.ca needs rootCertificateFile, intermediateCertificateFile and intermediateKeyFile together');
    const garbage = join(work, 'signing-keys.json');
    writeFileSync(garbage, '{"keys": []}');
    expect(() =>
      loadServerKeys(configFor({ dataDir: join(work, 'bad'), mdvm: { signingKeysFile: garbage } }), clock),
    ).toThrow(/^invalid configuration: mdvm\.signingKeysFile: /);
  });
});
