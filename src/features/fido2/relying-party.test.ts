import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/config-error.js';
import { resolveRelyingParty, type RelyingPartySettings } from './relying-party.js';

const settings = (overrides: Partial<RelyingPartySettings>): RelyingPartySettings => ({
  rpId: '',
  rpName: 'Keyward',
  origins: [],
  publicBaseUrl: '',
  port: 18013,
  ...overrides,
});

const current = (overrides: Partial<RelyingPartySettings>, port?: number) =>
  resolveRelyingParty(settings(overrides), () => port).current();

describe('relying party', () => {
  it('is derived from publicBaseUrl when set', () => {
    expect(current({ publicBaseUrl: 'https://auth.example.com/keyward' })).toEqual({
      id: 'auth.example.com',
      name: 'Keyward',
      origins: ['https://auth.example.com'],
    });
    expect(current({ publicBaseUrl: 'https://auth.example.com:8443', rpId: 'example.com' }).origins).toEqual([
      'https://auth.example.com:8443',
    ]);
  });

  it('is localhost at the configured port, or the one the server listens on, without publicBaseUrl', () => {
    expect(current({})).toMatchObject({ id: 'localhost', origins: ['http://localhost:18013'] });
    const resolved = resolveRelyingParty(settings({ port: 0 }), () => listening);
    let listening: number | undefined;
    expect(resolved.current().origins).toEqual(['http://localhost']);
    listening = 41234;
    expect(resolved.current().origins).toEqual(['http://localhost:41234']);
  });

  it('never takes an IP address for the RP ID', () => {
    const resolved = resolveRelyingParty(settings({ publicBaseUrl: 'http://10.0.0.5:8080' }), () => undefined);
    expect(resolved.current()).toMatchObject({ id: 'localhost', origins: ['http://localhost:8080'] });
    expect(resolved.warnings).toHaveLength(1);
    expect(() => resolveRelyingParty(settings({ rpId: '192.168.1.1' }), () => undefined)).toThrow(ConfigError);
  });

  it('takes configured origins on the RP ID and app origins, and refuses others', () => {
    expect(
      current({
        rpId: 'example.com',
        origins: ['https://example.com', 'https://login.example.com/', 'android:apk-key-hash:abc'],
      }).origins,
    ).toEqual(['https://example.com', 'https://login.example.com', 'android:apk-key-hash:abc']);
    expect(current({ rpId: 'example.com' }).origins).toEqual(['https://example.com']);
    for (const origin of [
      'http://example.com',
      'https://example.org',
      'https://notexample.com',
      'https://example.com/path',
      'nonsense',
    ])
      expect(() => resolveRelyingParty(settings({ rpId: 'example.com', origins: [origin] }), () => undefined)).toThrow(
        ConfigError,
      );
  });
});
