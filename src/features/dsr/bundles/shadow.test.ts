import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PdpData } from '../pdp/context.js';
import { decide } from '../pdp/decide.js';
import { DEFAULT_POLICIES } from '../pdp/default-policies.js';
import { signBundle, type VerifiedBundle, verifyBundle } from './bundle.js';
import { decideWithShadow, verdictsDiffer } from './shadow.js';

const admin = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keys = new Map<string, KeyObject>([['admin', admin.publicKey]]);

const DATA: PdpData = {
  android_data: {
    allowedBuildModel: ['Pixel 4a'],
    allowedApplications: [
      {
        packageName: 'de.gematik.dsr.android',
        version: 1,
        certificateSha256Digest: 'Br8MmBmVeijVKv77d2_UxosqaKD0F2IyTJ-Ak04IhBI',
      },
    ],
    minimumSecurityPatchLevel: '2022-12-01',
  },
  security_data: { blocklistClientIPs: ['203.0.113.0/24'], allowedCountryCodes: ['DE'] },
};

const bundle = (version: number, data: PdpData = DATA, policies = DEFAULT_POLICIES): VerifiedBundle =>
  verifyBundle(signBundle({ version, policies, data }, admin.privateKey, 'admin'), { keys });

/** A healthy Pixel 4a running the reference app, from an allowed address and country. */
const input = (clientIP = '192.0.2.10') => ({
  request: { method: 'GET', path: '/records', clientIP, countryCode: 'DE' },
  deviceTokenValid: true,
  deviceTokenPayload: {
    type: 'ANDROID',
    userIdentifier: 'X110411675',
    deviceHealth: {
      integrityVerdict: {
        appIntegrity: {
          packageName: 'de.gematik.dsr.android',
          certificateSha256Digest: ['Br8MmBmVeijVKv77d2_UxosqaKD0F2IyTJ-Ak04IhBI'],
          versionCode: 1,
        },
      },
      keyIdAttestation: { attestationSecurityLevel: 1 },
      deviceAttributes: {
        build: { version: { securityPatch: '2023-06-05' }, model: 'Pixel 4a' },
        devicePolicyManager: { passwordComplexity: 196608 },
      },
    },
  },
});

const active = bundle(1);

describe('decideWithShadow', () => {
  it('decides with the active bundle alone when there is no simulation', () => {
    const result = decideWithShadow(active, undefined, input());
    expect(result.decision.verdict.allow).toBe(true);
    expect(result).toEqual({ decision: result.decision, divergent: false });
  });

  it('reports no divergence when the simulation agrees', () => {
    const result = decideWithShadow(active, bundle(2), input());
    expect(result.divergent).toBe(false);
    expect(result.simulation).toMatchObject({ version: 2, kid: 'admin' });
    expect(result.simulation?.decision?.verdict).toEqual(result.decision.verdict);
  });

  it('reports a divergent allow but answers with the active verdict', () => {
    const stricter = bundle(2, { ...DATA, android_data: { ...DATA.android_data!, allowedBuildModel: ['Pixel 6'] } });
    const result = decideWithShadow(active, stricter, input());
    expect(result.divergent).toBe(true);
    expect(result.decision).toEqual(decide(active.policies, active.data, input()));
    expect(result.decision.verdict.allow).toBe(true);
    expect(result.simulation?.decision?.verdict.device.violations.map((violation) => violation.errorCode)).toEqual([
      'device_system_model_not_match',
    ]);

    const looser = decideWithShadow(active, bundle(2, { ...DATA, security_data: {} }), input('203.0.113.9'));
    expect(looser.decision.verdict.allow).toBe(false);
    expect(looser.simulation?.decision?.verdict.security.violations).toEqual([
      { errorCode: 'request_country_code_not_match', errorDescription: expect.any(String) },
    ]);
    expect(looser.divergent).toBe(true);
  });

  it('compares violation codes, not only allow', () => {
    const renamed = DEFAULT_POLICIES.replace('@errorCode("request_client_ip_blocked")', '@errorCode("ip_blocked")');
    expect(renamed).not.toBe(DEFAULT_POLICIES);
    const result = decideWithShadow(active, bundle(2, DATA, renamed), input('203.0.113.9'));
    expect(result.decision.verdict.allow).toBe(false);
    expect(result.simulation?.decision?.verdict.allow).toBe(false);
    expect(result.divergent).toBe(true);
  });

  it('counts a simulation that throws as divergent, without throwing or touching the active decision', () => {
    const broken: VerifiedBundle = {
      ...bundle(2),
      policies: {
        id: active.policies.id,
        texts: active.policies.texts,
        get policies(): never {
          throw new Error('simulation exploded');
        },
      },
    };
    const denied = input('203.0.113.9');
    const result = decideWithShadow(active, broken, denied);
    expect(result.divergent).toBe(true);
    expect(result.simulation).toEqual({ version: 2, kid: 'admin', error: 'simulation exploded' });
    expect(result.decision).toEqual(decide(active.policies, active.data, denied));
  });

  it('ignores descriptions and the order of violations', () => {
    const verdict = (codes: string[], description = 'd') => ({
      allow: false,
      device: { allow: true, violations: [] },
      security: { allow: false, violations: codes.map((errorCode) => ({ errorCode, errorDescription: description })) },
    });
    expect(verdictsDiffer(verdict(['a', 'b']), verdict(['b', 'a'], 'other'))).toBe(false);
    expect(verdictsDiffer(verdict(['a']), verdict(['a', 'a']))).toBe(true);
  });
});
