import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signCompactJws } from '../../../crypto/jose/compact-jws.js';
import { KeywardError } from '../../../errors.js';
import { decide } from '../pdp/decide.js';
import { DEFAULT_POLICIES } from '../pdp/default-policies.js';
import { BUNDLE_TYP, type PolicyBundlePayload, signBundle, verifyBundle } from './bundle.js';

const VECTORS = new URL('../../../../test/vectors/dsr/policy-bundle/', import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(new URL(path, VECTORS), 'utf8'));

/** The reference bundle's data, in the layout OPA gives it (torExitNodes nested under security_data). */
const REFERENCE_DATA = {
  android_data: json('android_data/data.json'),
  ios_data: json('ios_data/data.json'),
  security_data: { ...json('security_data/data.json'), torExitNodes: json('security_data/torExitNodes/data.json') },
};

const adminKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const admin = adminKey();
const other = adminKey();
const keys = new Map<string, KeyObject>([['admin-1', admin.publicKey]]);

const payload = (overrides: Partial<PolicyBundlePayload> = {}): PolicyBundlePayload => ({
  version: 7,
  policies: DEFAULT_POLICIES,
  data: REFERENCE_DATA,
  ...overrides,
});

/** A JWS over arbitrary header and payload, signed with the admin key: for payloads signBundle refuses to sign. */
const rawBundle = (body: object, header: Record<string, unknown> = {}, key = admin.privateKey) =>
  signCompactJws({ alg: 'ES256', typ: BUNDLE_TYP, kid: 'admin-1', ...header }, body, key);

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof KeywardError) return `${error.category} ${error.code}`;
    throw error;
  }
  throw new Error('did not throw');
}

describe('signBundle and verifyBundle', () => {
  it('round-trip the default policies with the reference data, ready to decide', () => {
    const jws = signBundle(payload(), admin.privateKey, 'admin-1');
    expect(jws.length).toBeGreaterThan(16_384);
    const bundle = verifyBundle(jws, { keys, minVersion: 6 });
    expect(bundle.version).toBe(7);
    expect(bundle.kid).toBe('admin-1');
    expect(bundle.policies.policies.size).toBe(15);
    expect(bundle.data.torExitNodes.has('101.36.104.212')).toBe(true);
    expect(bundle.payload).toEqual(payload());
    const decision = decide(bundle.policies, bundle.data, {
      request: { clientIP: '217.110.27.114', countryCode: 'DE' },
      deviceTokenValid: false,
      deviceTokenPayload: {},
    });
    expect(decision.verdict.allow).toBe(false);
    expect(decision.verdict.security.violations.map((violation) => violation.errorCode)).toContain(
      'request_client_ip_blocked',
    );
  });

  it('refuses a bundle signed by a key that is not configured', () => {
    expect(codeOf(() => verifyBundle(signBundle(payload(), other.privateKey, 'admin-1'), { keys }))).toBe(
      'TRUST DSR_BUNDLE_SIGNATURE_INVALID',
    );
    expect(codeOf(() => verifyBundle(signBundle(payload(), admin.privateKey, 'admin-2'), { keys }))).toBe(
      'TRUST DSR_BUNDLE_SIGNATURE_INVALID',
    );
    expect(codeOf(() => verifyBundle(rawBundle(payload(), { kid: undefined }), { keys }))).toBe(
      'TRUST DSR_BUNDLE_SIGNATURE_INVALID',
    );
  });

  it('refuses another alg, another typ and crit', () => {
    const hs = signCompactJws({ alg: 'HS256', typ: BUNDLE_TYP, kid: 'admin-1' }, payload(), Buffer.alloc(32, 1));
    expect(codeOf(() => verifyBundle(hs, { keys }))).toBe('TRUST DSR_BUNDLE_SIGNATURE_INVALID');
    const [, body, signature] = rawBundle(payload()).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: BUNDLE_TYP, kid: 'admin-1' })).toString('base64url')}.${body}.${signature}`;
    expect(codeOf(() => verifyBundle(none, { keys }))).toBe('TRUST DSR_BUNDLE_SIGNATURE_INVALID');
    expect(codeOf(() => verifyBundle(rawBundle(payload(), { typ: 'JWT' }), { keys }))).toBe(
      'TRUST DSR_BUNDLE_SIGNATURE_INVALID',
    );
    expect(codeOf(() => verifyBundle(rawBundle(payload(), { crit: ['x'], x: 1 }), { keys }))).toBe(
      'TRUST DSR_BUNDLE_SIGNATURE_INVALID',
    );
  });

  it('refuses a tampered payload', () => {
    const [header, , signature] = signBundle(payload(), admin.privateKey, 'admin-1').split('.');
    const forged = Buffer.from(JSON.stringify(payload({ version: 8 }))).toString('base64url');
    expect(codeOf(() => verifyBundle(`${header}.${forged}.${signature}`, { keys }))).toBe(
      'TRUST DSR_BUNDLE_SIGNATURE_INVALID',
    );
  });

  it('refuses a version that is not greater than the one in force', () => {
    const jws = signBundle(payload({ version: 7 }), admin.privateKey, 'admin-1');
    expect(codeOf(() => verifyBundle(jws, { keys, minVersion: 7 }))).toBe('TRUST DSR_BUNDLE_VERSION_STALE');
    expect(codeOf(() => verifyBundle(jws, { keys, minVersion: 9 }))).toBe('TRUST DSR_BUNDLE_VERSION_STALE');
    expect(verifyBundle(jws, { keys }).version).toBe(7);
    for (const version of [-1, 1.5, '8', 2 ** 53, null])
      expect(codeOf(() => verifyBundle(rawBundle(payload({ version: version as number })), { keys }))).toBe(
        'CONTENT DSR_BUNDLE_MALFORMED',
      );
  });

  it('refuses bad Cedar text', () => {
    for (const policies of ['permit (principal, action', '@id("a") forbid (principal, action, resource);'])
      expect(codeOf(() => verifyBundle(rawBundle(payload({ policies })), { keys }))).toBe(
        'CONTENT DSR_BUNDLE_POLICIES_INVALID',
      );
    expect(codeOf(() => signBundle(payload({ policies: 'permit (' }), admin.privateKey, 'admin-1'))).toBe(
      'CONTENT DSR_BUNDLE_POLICIES_INVALID',
    );
  });

  it('refuses bad data', () => {
    const bad = [
      [],
      { security_data: { blocklistClientIPs: ['10.0.0.0/33'] } },
      { android_data: { allowedBuildModel: 'x' } },
    ];
    for (const data of bad)
      expect(
        codeOf(() => verifyBundle(rawBundle(payload({ data: data as never })), { keys })),
        JSON.stringify(data),
      ).toBe('CONTENT DSR_BUNDLE_DATA_INVALID');
    expect(codeOf(() => signBundle(payload({ data: null as never }), admin.privateKey, 'admin-1'))).toBe(
      'CONTENT DSR_BUNDLE_DATA_INVALID',
    );
  });

  it('refuses malformed bundles, duplicate members, unknown members and oversized input', () => {
    const [header, body, signature] = rawBundle(payload()).split('.');
    const cases = [
      'not a jws',
      `${header}.${body}`,
      `${header}=.${body}.${signature}`,
      `${Buffer.from('[]').toString('base64url')}.${body}.${signature}`,
      rawBundle({ ...payload(), extra: 1 }),
      rawBundle({ version: 1, data: {} }),
      rawBundle({ version: 1, policies: DEFAULT_POLICIES }),
    ];
    for (const jws of cases)
      expect(
        codeOf(() => verifyBundle(jws, { keys })),
        jws.slice(0, 40),
      ).toBe('CONTENT DSR_BUNDLE_MALFORMED');

    const duplicate = `{"version":1,"version":2,"policies":${JSON.stringify(DEFAULT_POLICIES)},"data":{}}`;
    const [dupHeader] = rawBundle({}).split('.');
    expect(
      codeOf(() => verifyBundle(`${dupHeader}.${Buffer.from(duplicate).toString('base64url')}.AAAA`, { keys })),
    ).toBe('CONTENT DSR_BUNDLE_MALFORMED');
    expect(codeOf(() => verifyBundle(rawBundle(payload()), { keys, maxLength: 1000 }))).toBe(
      'CONTENT DSR_BUNDLE_MALFORMED',
    );
  });

  it('refuses to sign with anything but an EC P-256 private key', () => {
    expect(() => signBundle(payload(), admin.publicKey, 'admin-1')).toThrow(TypeError);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => signBundle(payload(), p384.privateKey, 'admin-1')).toThrow(TypeError);
    expect(() => signBundle(payload(), admin.privateKey, '')).toThrow(TypeError);
  });
});
