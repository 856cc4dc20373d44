import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandIpv6, iosMajorVersion, PdpDataError, preparePdpData } from './context.js';
import { compilePolicies, PdpPolicyError } from './decide.js';
import { DEFAULT_POLICIES } from './default-policies.js';

describe('iosMajorVersion', () => {
  // ios.rego: regex.match(`^(17|16)(\.[0-9]+)*$`, trim_space(systemVersion)).
  const REFERENCE = /^(17|16)(\.[0-9]+)*$/;
  const allowed = (value: string) => [16, 17].includes(iosMajorVersion(value));

  it('agrees with the reference pattern on [16, 17]', () => {
    for (const value of ['16', '17', '16.0', '17.1.2', '17.10.3.4', ' 17.2\t'])
      expect(allowed(value), value).toBe(true);
    for (const value of ['15.7', '18', '170', '017', '1.7', '17.', '17..1', '17.1a', '+17', 'v17', '', ' ']) {
      expect(allowed(value), value).toBe(false);
    }
    expect(iosMajorVersion(17)).toBe(-1);
    expect(iosMajorVersion('99999999999999999999.1')).toBe(-1);
  });

  it('agrees with the reference pattern on random version-like text', () => {
    const text = fc.string({ unit: fc.constantFrom('1', '6', '7', '0', '.', ' ', 'a', '-') });
    fc.assert(fc.property(text, (value) => allowed(value) === REFERENCE.test(value.trim())));
  });
});

describe('expandIpv6', () => {
  it('writes an address the way the reference Tor list does', () => {
    expect(expandIpv6('2001:470:1:908::9001')).toBe('2001:0470:0001:0908:0000:0000:0000:9001');
    expect(expandIpv6('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
    expect(expandIpv6('FE80::1%eth0')).toBe('fe80:0000:0000:0000:0000:0000:0000:0001');
    expect(expandIpv6('2001:db8::192.0.2.1')).toBe('2001:0db8:0000:0000:0000:0000:c000:0201');
    expect(expandIpv6('::ffff:101.36.104.212')).toBe('101.36.104.212');
    expect(expandIpv6('2001:0470:0001:0908:0000:0000:0000:9001')).toBe('2001:0470:0001:0908:0000:0000:0000:9001');
    expect(expandIpv6('192.0.2.1')).toBeUndefined();
    expect(expandIpv6('not:an:address')).toBeUndefined();
  });
});

describe('preparePdpData', () => {
  it('refuses malformed data', () => {
    const bad: unknown[] = [
      null,
      [],
      { android_data: [] },
      { android_data: { allowedBuildModel: 'Pixel 6' } },
      { android_data: { allowedApplications: [{ packageName: 'a', version: '1', certificateSha256Digest: 'x' }] } },
      { android_data: { minimumSecurityPatchLevel: 20221201 } },
      { security_data: { blocklistClientIPs: ['10.0.0.0/33'] } },
      { security_data: { blocklistClientIPs: ['example.org/8'] } },
      { security_data: { torExitNodes: [1] } },
    ];
    for (const data of bad) expect(() => preparePdpData(data), JSON.stringify(data)).toThrow(PdpDataError);
  });

  it('treats absent lists as empty, as the Rego does', () => {
    const data = preparePdpData({});
    expect(data.buildModels.size).toBe(0);
    expect(data.minimumSecurityPatchLevel).toBeUndefined();
  });
});

describe('compilePolicies', () => {
  it('compiles the default set', () => {
    const compiled = compilePolicies(DEFAULT_POLICIES);
    expect(compiled.policies.size).toBe(15);
    expect(compilePolicies(DEFAULT_POLICIES).id).toBe(compiled.id);
    const codes = [...compiled.policies.values()].flatMap((info) => (info.violation ? [info.violation.errorCode] : []));
    expect(new Set(codes)).toEqual(
      new Set([
        'device_token_invalid',
        'device_application_not_match',
        'device_system_model_not_match',
        'device_attestation_security_level_not_match',
        'device_build_version_security_patch_violation',
        'device_password_complexity_not_match',
        'device_system_version_not_match',
        'device_pq_id_not_match',
        'request_client_ip_blocked',
        'request_country_code_not_match',
        'request_client_ip_not_allowed',
        'user_identifier_not_allowed',
      ]),
    );
  });

  it('refuses sets that break the conventions', () => {
    const forbid = (annotations: string) => `${annotations} forbid (principal, action, resource);`;
    const bad = [
      'permit (principal, action',
      forbid('@id("a") @errorCode("e") @description("d")'),
      forbid('@id("a") @scope("elsewhere") @errorCode("e") @description("d")'),
      forbid('@id("a") @scope("device") @description("d")'),
      forbid('@id("a") @scope("device") @errorCode("e") @description("d") @violation("no")'),
      '@id("a") permit (principal, action, resource); @id("a") permit (principal, action, resource);',
      'permit (principal == ?principal, action, resource);',
    ];
    for (const text of bad) expect(() => compilePolicies(text), text).toThrow(PdpPolicyError);
  });
});
