import { readFileSync } from 'node:fs';
import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { preparePdpData, toCedarRequest } from './context.js';
import { compilePolicies, decide, type PdpDecision, toDecision } from './decide.js';
import { DEFAULT_POLICIES } from './default-policies.js';

/**
 * The default Cedar policy set against gematik's reference bundle: every expectation below is
 * what the reference's Rego (test/vectors/dsr/policy-bundle/policies/) yields for the same input
 * and data, compared by errorCode and count; the comment on each case names the rule.
 */

const BUNDLE = new URL('../../../../test/vectors/dsr/policy-bundle/', import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(new URL(path, BUNDLE), 'utf8'));

/** The reference bundle's data, in the layout OPA gives it (torExitNodes nested under security_data). */
const REFERENCE_DATA = {
  android_data: json('android_data/data.json'),
  ios_data: json('ios_data/data.json'),
  security_data: { ...json('security_data/data.json'), torExitNodes: json('security_data/torExitNodes/data.json') },
};

const policies = compilePolicies(DEFAULT_POLICIES);
const data = preparePdpData(REFERENCE_DATA);

const request = (overrides: Record<string, unknown> = {}) => ({
  method: 'GET',
  headers: { accept: 'application/json' },
  path: '/fd/api/v1/records',
  query: {},
  url: 'https://fd.example/fd/api/v1/records',
  clientIP: '192.0.2.10',
  countryCode: 'DE',
  ...overrides,
});

/** A device token payload as the GMS issues it for a healthy Pixel 4a running the reference app. */
function androidPayload() {
  return {
    iss: 'https://gms.example',
    sub: 'x7P6hU3jZ2q0Wb1m5V9yFvN8cQeRtYuIoPaSdFgHjKl',
    iat: 1_700_000_000,
    exp: 1_700_003_600,
    jti: '9c0b6a1e-4a8c-4b59-9e0f-0e6f9f1f6a11',
    type: 'ANDROID',
    userIdentifier: 'X110411675',
    deviceHealth: {
      integrityVerdict: {
        requestDetails: { requestPackageName: 'de.gematik.dsr.android' },
        appIntegrity: {
          appRecognitionVerdict: 'PLAY_RECOGNIZED',
          packageName: 'de.gematik.dsr.android',
          certificateSha256Digest: ['Br8MmBmVeijVKv77d2_UxosqaKD0F2IyTJ-Ak04IhBI'],
          versionCode: 1,
        },
        deviceIntegrity: { deviceRecognitionVerdict: ['MEETS_DEVICE_INTEGRITY'] },
      },
      keyIdAttestation: {
        attestationVersion: 200,
        attestationSecurityLevel: 1,
        keymasterVersion: 200,
        keymasterSecurityLevel: 1,
        teeEnforced: { osVersion: 130000, osPatchLevel: 202306, vendorPatchLevel: 20230605, bootPatchLevel: 20230605 },
      },
      deviceAttributes: {
        build: {
          version: { sdkInt: 33, securityPatch: '2023-06-05' },
          manufacturer: 'Google',
          product: 'sunfish',
          model: 'Pixel 4a',
          board: 'sunfish',
        },
        keyguardManager: { isDeviceSecure: true },
        devicePolicyManager: { passwordComplexity: 196608 },
      },
    },
  };
}

/** A device token payload for a healthy iPhone 14 on iOS 17.1.2 running the reference app. */
function iosPayload() {
  return {
    iss: 'https://gms.example',
    sub: 'QmFzZTY0U3ViT2ZUaGVNVExTUHVibGljS2V5SGFzaDE',
    iat: 1_700_000_000,
    exp: 1_700_003_600,
    jti: '1f3c5e7a-2b4d-4f6e-8a0c-1e3f5a7c9e0b',
    type: 'IOS',
    userIdentifier: 'X110411675',
    deviceHealth: {
      assertion: { rpID: '8/FR27wyIIXITNLSkepN9neNcVG+gAKVL0k89/FEGlY', counter: 7, riskMetric: 1 },
      deviceAttributes: {
        systemName: 'iOS',
        systemVersion: '17.1.2',
        systemModel: 'iPhone14,7',
        identifierForVendor: '5F2C8C36-4B0E-4C2A-9A0E-1B7E4C3D2A10',
      },
    },
  };
}

type Payload = Record<string, unknown>;

/** Changes (or with `undefined`, removes) the value at a dotted path of a fresh payload. */
function edit(payload: Payload, path: string, value: unknown): Payload {
  const keys = path.split('.');
  let node = payload as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return payload;
}

const input = (payload: Payload | undefined, requestOverrides: Record<string, unknown> = {}) => ({
  request: request(requestOverrides),
  deviceTokenValid: payload !== undefined,
  ...(payload ? { deviceTokenPayload: payload } : {}),
});

const run = (value: unknown) => decide(policies, data, value);

/** The verdict reduced to what the equivalence with the reference is judged on: decisions and errorCodes (sorted). */
function summary(decision: PdpDecision) {
  const { verdict } = decision;
  return {
    allow: verdict.allow,
    device: [verdict.device.allow, verdict.device.violations.map((v) => v.errorCode).sort()],
    security: [verdict.security.allow, verdict.security.violations.map((v) => v.errorCode).sort()],
  };
}

const ALLOWED = { allow: true, device: [true, []], security: [true, []] };
const deviceDenied = (...codes: string[]) => ({ allow: false, device: [false, codes.sort()], security: [true, []] });
const securityDenied = (...codes: string[]) => ({ allow: false, device: [true, []], security: [false, codes.sort()] });

describe('the default Cedar policy set decides as the reference Rego', () => {
  it('allows a healthy Android device (android.rego allow: every predicate holds; policy.rego allow)', () => {
    const decision = run(input(androidPayload()));
    expect(summary(decision)).toEqual(ALLOWED);
    expect(decision.errors).toEqual([]);
    expect(decision.denied).toEqual([]);
  });

  it('allows a healthy iOS device (ios.rego allow)', () => {
    expect(summary(run(input(iosPayload())))).toEqual(ALLOWED);
  });

  describe('Android device rules (android.rego)', () => {
    const cases: [string, string, unknown, string[]][] = [
      // allowed_application_predicate: packageName not in android_data.allowedApplications.
      [
        'an unknown app',
        'deviceHealth.integrityVerdict.appIntegrity.packageName',
        'com.example.other',
        ['device_application_not_match'],
      ],
      // allowed_application_predicate: the version must equal the entry's version (1).
      [
        'another version of the app',
        'deviceHealth.integrityVerdict.appIntegrity.versionCode',
        2,
        ['device_application_not_match'],
      ],
      // allowed_application_predicate: certificateSha256Digest[0] must equal the entry's digest.
      [
        'the app signed with another key',
        'deviceHealth.integrityVerdict.appIntegrity.certificateSha256Digest',
        ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
        ['device_application_not_match'],
      ],
      // allowed_application_predicate: a missing digest leaves the predicate false (else = false);
      // the violation only prints packageName and versionCode, so it is still reported.
      [
        'no signing certificate digest',
        'deviceHealth.integrityVerdict.appIntegrity.certificateSha256Digest',
        undefined,
        ['device_application_not_match'],
      ],
      // build_model_predicate: "Pixel 3" not in android_data.allowedBuildModel.
      ['an unknown model', 'deviceHealth.deviceAttributes.build.model', 'Pixel 3', ['device_system_model_not_match']],
      // build_model_predicate compares without trimming.
      [
        'a model with a trailing space',
        'deviceHealth.deviceAttributes.build.model',
        'Pixel 6 ',
        ['device_system_model_not_match'],
      ],
      // attestation_security_level_predicate: 0 (SOFTWARE) not in [1, 2].
      [
        'a software-backed key',
        'deviceHealth.keyIdAttestation.attestationSecurityLevel',
        0,
        ['device_attestation_security_level_not_match'],
      ],
      // attestation_security_level_predicate: "1" (a string) is not the number 1.
      [
        'a security level as text',
        'deviceHealth.keyIdAttestation.attestationSecurityLevel',
        '1',
        ['device_attestation_security_level_not_match'],
      ],
      // build_version_security_patch_predicate: "2022-11-05" < minimumSecurityPatchLevel "2022-12-01".
      [
        'an old security patch',
        'deviceHealth.deviceAttributes.build.version.securityPatch',
        '2022-11-05',
        ['device_build_version_security_patch_violation'],
      ],
      // password_complexity_predicate: 65536 (LOW) not in [327680, 196608].
      [
        'a weak password',
        'deviceHealth.deviceAttributes.devicePolicyManager.passwordComplexity',
        65536,
        ['device_password_complexity_not_match'],
      ],
      // password_complexity_predicate: 0 (NONE).
      [
        'no password',
        'deviceHealth.deviceAttributes.devicePolicyManager.passwordComplexity',
        0,
        ['device_password_complexity_not_match'],
      ],
    ];
    for (const [name, path, value, codes] of cases) {
      it(`denies ${name}: ${codes.join(', ')}`, () => {
        expect(summary(run(input(edit(androidPayload(), path, value))))).toEqual(deviceDenied(...codes));
      });
    }

    it('allows the boundary patch level, a StrongBox key, HIGH complexity and a padded package name', () => {
      const payload = androidPayload();
      edit(payload, 'deviceHealth.deviceAttributes.build.version.securityPatch', '2022-12-01'); // >= is inclusive
      edit(payload, 'deviceHealth.keyIdAttestation.attestationSecurityLevel', 2); // STRONG_BOX
      edit(payload, 'deviceHealth.deviceAttributes.devicePolicyManager.passwordComplexity', 327680); // HIGH
      edit(payload, 'deviceHealth.integrityVerdict.appIntegrity.packageName', ' de.gematik.dsr.android\n'); // trim_space
      edit(payload, 'deviceHealth.deviceAttributes.build.model', 'Pixel 6');
      expect(summary(run(input(payload)))).toEqual(ALLOWED);
    });

    it('reports every failing rule: one violation each', () => {
      const payload = androidPayload();
      edit(payload, 'deviceHealth.deviceAttributes.build.model', 'SM-G991B');
      edit(payload, 'deviceHealth.deviceAttributes.build.version.securityPatch', '2021-01-01');
      edit(payload, 'deviceHealth.deviceAttributes.devicePolicyManager.passwordComplexity', 65536);
      edit(payload, 'deviceHealth.keyIdAttestation.attestationSecurityLevel', 0);
      edit(payload, 'deviceHealth.integrityVerdict.appIntegrity.versionCode', 3);
      const decision = run(input(payload));
      expect(summary(decision)).toEqual(
        deviceDenied(
          'device_application_not_match',
          'device_system_model_not_match',
          'device_attestation_security_level_not_match',
          'device_build_version_security_patch_violation',
          'device_password_complexity_not_match',
        ),
      );
      expect(decision.verdict.device.violations[0]).toEqual({
        errorCode: 'device_application_not_match',
        errorDescription: expect.stringContaining('Android'),
      });
    });
  });

  describe('iOS device rules (ios.rego)', () => {
    const cases: [string, string, unknown, string[]][] = [
      // system_model_predicate: "iPhone12,1" not in ios_data.allowedSystemModels.
      [
        'an unknown model',
        'deviceHealth.deviceAttributes.systemModel',
        'iPhone12,1',
        ['device_system_model_not_match'],
      ],
      // system_version_predicate: "15.7" does not match ^(17|16)(\.[0-9]+)*$.
      ['iOS 15', 'deviceHealth.deviceAttributes.systemVersion', '15.7', ['device_system_version_not_match']],
      // system_version_predicate: "170.1" does not match (17 must be followed by a dot or the end).
      ['iOS 170', 'deviceHealth.deviceAttributes.systemVersion', '170.1', ['device_system_version_not_match']],
      // system_version_predicate: "17.1-beta" does not match (only digits after each dot).
      [
        'a beta version',
        'deviceHealth.deviceAttributes.systemVersion',
        '17.1-beta',
        ['device_system_version_not_match'],
      ],
      // system_version_predicate: "18.0" does not match (the reference allows 16 and 17 only).
      ['iOS 18', 'deviceHealth.deviceAttributes.systemVersion', '18.0', ['device_system_version_not_match']],
      // rpid_predicate: rpID not in ios_data.allowedRpIDs (the reference's code is "device_pq_id_not_match").
      ['another app', 'deviceHealth.assertion.rpID', 'c29tZSBvdGhlciBhcHAgaWQgaGFzaA==', ['device_pq_id_not_match']],
    ];
    for (const [name, path, value, codes] of cases) {
      it(`denies ${name}: ${codes.join(', ')}`, () => {
        expect(summary(run(input(edit(iosPayload(), path, value))))).toEqual(deviceDenied(...codes));
      });
    }

    it('allows iOS 16, a bare "17" and values with surrounding space (trim_space)', () => {
      for (const version of ['16.7.2', '17', ' 17.2 ']) {
        const payload = edit(iosPayload(), 'deviceHealth.deviceAttributes.systemVersion', version);
        edit(payload, 'deviceHealth.deviceAttributes.systemModel', ' iPhone16,2 ');
        expect(summary(run(input(payload))), version).toEqual(ALLOWED);
      }
    });
  });

  describe('security rules (security/policy.rego)', () => {
    it('denies a blocked client IP (blocked_client_ip: clientIP in blocklistClientIPs)', () => {
      expect(summary(run(input(androidPayload(), { clientIP: '217.110.27.114' })))).toEqual(
        securityDenied('request_client_ip_blocked'),
      );
    });

    it('denies an address inside a blocked CIDR range (Keyward extension: the reference lists single addresses)', () => {
      const cidrData = preparePdpData({
        ...REFERENCE_DATA,
        security_data: {
          ...REFERENCE_DATA.security_data,
          blocklistClientIPs: ['217.110.27.114', '198.51.100.0/24', '2001:db8:bad::/48'],
        },
      });
      for (const clientIP of ['198.51.100.77', '2001:db8:bad:1::5']) {
        expect(summary(decide(policies, cidrData, input(androidPayload(), { clientIP }))), clientIP).toEqual(
          securityDenied('request_client_ip_blocked'),
        );
      }
      expect(summary(decide(policies, cidrData, input(androidPayload(), { clientIP: '198.51.101.1' })))).toEqual(
        ALLOWED,
      );
    });

    it('denies a blocked user (blocked_user_identifier: userIdentifier in blocklistUserIdentifier)', () => {
      expect(summary(run(input(edit(androidPayload(), 'userIdentifier', 'X123456789'))))).toEqual(
        securityDenied('user_identifier_not_allowed'),
      );
    });

    it('denies a country outside the allow-list (country_code_allowed: countryCode in allowedCountryCodes)', () => {
      expect(summary(run(input(iosPayload(), { countryCode: 'US' })))).toEqual(
        securityDenied('request_country_code_not_match'),
      );
    });

    it('denies a Tor exit node (tor_listed_client_ip: clientIP in torExitNodes), also written compressed', () => {
      expect(summary(run(input(androidPayload(), { clientIP: '101.36.104.212' })))).toEqual(
        securityDenied('request_client_ip_not_allowed'),
      );
      // The list holds "2001:0470:0001:0908:0000:0000:0000:9001"; nginx's $remote_addr writes it compressed.
      expect(summary(run(input(androidPayload(), { clientIP: '2001:470:1:908::9001' })))).toEqual(
        securityDenied('request_client_ip_not_allowed'),
      );
    });

    it('reports several security violations together, next to the device ones', () => {
      const payload = edit(androidPayload(), 'userIdentifier', 'X000000000');
      edit(payload, 'deviceHealth.deviceAttributes.build.model', 'Pixel 3');
      expect(summary(run(input(payload, { clientIP: '101.36.104.212', countryCode: 'RU' })))).toEqual({
        allow: false,
        device: [false, ['device_system_model_not_match']],
        security: [
          false,
          ['request_client_ip_not_allowed', 'request_country_code_not_match', 'user_identifier_not_allowed'].sort(),
        ],
      });
    });
  });

  describe('partial inputs', () => {
    it('computes the security verdict of a request without a device token; the device is denied without violations', () => {
      // api.rego: not is_device_token_valid → allow false; allow_device false and device_violations
      // [] (neither is_android_device nor is_ios_device); the security rules still run.
      const decision = run({ request: request(), deviceTokenValid: false });
      expect(summary(decision)).toEqual({ allow: false, device: [false, []], security: [true, []] });
      expect(decision.denied.sort()).toEqual(['device-platform-unknown', 'device-token-invalid']);
      expect(summary(run({ request: request({ clientIP: '217.110.27.115', countryCode: 'CN' }) }))).toEqual({
        allow: false,
        device: [false, []],
        security: [false, ['request_client_ip_blocked', 'request_country_code_not_match']],
      });
    });

    it('denies an invalid token over a healthy payload without naming it in the verdict (api.rego: violations is not part of verdict)', () => {
      for (const deviceTokenValid of [false, 'true', 1, undefined]) {
        const decision = run({ request: request(), deviceTokenValid, deviceTokenPayload: androidPayload() });
        expect(summary(decision), String(deviceTokenValid)).toEqual({
          allow: false,
          device: [true, []],
          security: [true, []],
        });
        expect(decision.denied).toEqual(['device-token-invalid']);
      }
    });

    it('denies a token of another platform without violations (is_android_device and is_ios_device both fail)', () => {
      expect(summary(run(input(edit(androidPayload(), 'type', 'WINDOWS'))))).toEqual({
        allow: false,
        device: [false, []],
        security: [true, []],
      });
    });

    // A missing attribute makes the reference's predicate fail and its violation undefined
    // (sprintf over an undefined value), so the device is denied with no violation for it.
    const missing: [string, () => Payload][] = [
      [
        'passwordComplexity',
        () => edit(androidPayload(), 'deviceHealth.deviceAttributes.devicePolicyManager', undefined),
      ],
      ['build.model', () => edit(androidPayload(), 'deviceHealth.deviceAttributes.build.model', undefined)],
      ['securityPatch', () => edit(androidPayload(), 'deviceHealth.deviceAttributes.build.version', undefined)],
      ['attestationSecurityLevel', () => edit(androidPayload(), 'deviceHealth.keyIdAttestation', undefined)],
      [
        'packageName',
        () => edit(androidPayload(), 'deviceHealth.integrityVerdict.appIntegrity.packageName', undefined),
      ],
      ['systemVersion', () => edit(iosPayload(), 'deviceHealth.deviceAttributes.systemVersion', undefined)],
      ['systemModel', () => edit(iosPayload(), 'deviceHealth.deviceAttributes.systemModel', undefined)],
      ['rpID', () => edit(iosPayload(), 'deviceHealth.assertion', undefined)],
    ];
    for (const [name, payload] of missing) {
      it(`denies a device whose token lacks ${name}, without a violation`, () => {
        const decision = run(input(payload()));
        expect(summary(decision)).toEqual({ allow: false, device: [false, []], security: [true, []] });
        expect(decision.errors).toHaveLength(1);
      });
    }

    it('keeps the other violations when an attribute is missing', () => {
      const payload = edit(androidPayload(), 'deviceHealth.deviceAttributes.devicePolicyManager', undefined);
      edit(payload, 'deviceHealth.deviceAttributes.build.model', 'Pixel 3');
      expect(summary(run(input(payload)))).toEqual(deviceDenied('device_system_model_not_match'));
    });

    it('denies the request without a country code, without a violation (country_code_allowed else = false; sprintf undefined)', () => {
      expect(summary(run(input(androidPayload(), { countryCode: undefined })))).toEqual({
        allow: false,
        device: [true, []],
        security: [false, []],
      });
    });

    it('allows a request without a client IP (blocked_client_ip and tor_listed_client_ip else = false)', () => {
      expect(summary(run(input(androidPayload(), { clientIP: undefined })))).toEqual(ALLOWED);
    });

    it('denies inputs that are not objects', () => {
      for (const value of [null, 'text', 42, [], {}]) {
        expect(summary(run(value)), JSON.stringify(value)).toEqual({
          allow: false,
          device: [false, []],
          security: [false, []],
        });
      }
    });
  });
});

describe('fail closed', () => {
  const erring = compilePolicies(`
    @id("permit") permit (principal, action, resource);
    @id("needs-attribute") @scope("device") @errorCode("device_x") @description("x")
    forbid (principal, action, resource) when { principal.missingAttribute == "bad" };
  `);

  it('denies when a forbid errors, where Cedar alone allows', () => {
    const cedarRequest = toCedarRequest(input(androidPayload()), data);
    // Cedar skips the erroring forbid and answers allow.
    const answer = isAuthorized({ ...cedarRequest, policies: { staticPolicies: erring.texts } });
    expect(answer.type === 'success' && answer.response.decision).toBe('allow');
    expect(answer.type === 'success' && answer.response.diagnostics.errors.map((e) => e.policyId)).toEqual([
      'needs-attribute',
    ]);

    const decision = decide(erring, data, input(androidPayload()));
    expect(summary(decision)).toEqual({ allow: false, device: [false, []], security: [true, []] });
    expect(decision.errors).toEqual([expect.stringMatching(/^needs-attribute: /)]);
  });

  it('denies everything when Cedar refuses the request, or reports an error in an unknown policy or in the permit', () => {
    const failure = toDecision(policies, { type: 'failure', errors: [], warnings: [] });
    expect(summary(failure)).toEqual({ allow: false, device: [false, []], security: [false, []] });
    for (const policyId of ['no-such-policy', 'permit-unless-forbidden']) {
      const decision = toDecision(policies, {
        type: 'success',
        warnings: [],
        response: {
          decision: 'allow',
          diagnostics: {
            reason: [],
            errors: [{ policyId, error: { message: 'boom', help: null, code: null, url: null, severity: null } }],
          },
        },
      });
      expect(summary(decision), policyId).toEqual({ allow: false, device: [false, []], security: [false, []] });
    }
  });

  it('denies when the policy set has no permit', () => {
    const forbidOnly = compilePolicies(
      '@id("f") @scope("security") @errorCode("e") @description("d") forbid (principal, action, resource) when { false };',
    );
    expect(decide(forbidOnly, data, input(androidPayload())).verdict.allow).toBe(false);
  });

  it('never reads a token value as a Cedar entity or extension reference', () => {
    const payload = edit(androidPayload(), 'deviceHealth.deviceAttributes.build.model', {
      __entity: { type: 'DSR::Device', id: 'x' },
    });
    edit(payload, 'userIdentifier', { __extn: { fn: 'ip', arg: '1.2.3.4' } });
    expect(summary(run(input(payload)))).toEqual(deviceDenied('device_system_model_not_match'));
  });
});
