import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { outcome } from '../../../../test/helpers/outcome.js';
import { keysFromJwks } from '../../../crypto/jose/es256-keys.js';
import { spkiOf } from '../../../crypto/keys.js';
import { certificatePem } from '../../../crypto/x509/certificate.js';
import { buildCertificate, encodeName, randomSerial } from '../../../crypto/x509/certificate-builder.js';
import { NAME_OIDS } from '../../../crypto/x509/names.js';
import { type DeviceTokenTrust, deviceTokenSubject, issueDeviceToken, verifyDeviceToken } from '../device-token.js';
import { preparePdpData } from '../pdp/context.js';
import { compilePolicies } from '../pdp/decide.js';
import { DEFAULT_POLICIES } from '../pdp/default-policies.js';
import { DsrSigningKeys, dsrSigningKeyFile, generateDsrSigningKey } from '../signing-keys.js';
import { PolicyEnforcementPoint, type PepOptions } from './pep.js';
import { parseEscapedCertificate, readAuthRequest } from './request-context.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const ISSUER = 'https://gms.keyward.example';
const keys = DsrSigningKeys.parse(dsrSigningKeyFile([generateDsrSigningKey(NOW - HOUR)]));
const trust: DeviceTokenTrust = { keys: keysFromJwks(keys.jwks), issuers: [ISSUER] };
const policies = compilePolicies(DEFAULT_POLICIES);
const data = preparePdpData({
  android_data: {
    allowedBuildModel: ['Pixel 4a', 'Pixel 6'],
    allowedApplications: [
      {
        packageName: 'de.gematik.dsr.android',
        version: 1,
        certificateSha256Digest: 'Br8MmBmVeijVKv77d2_UxosqaKD0F2IyTJ-Ak04IhBI',
      },
    ],
    minimumSecurityPatchLevel: '2022-12-01',
  },
  ios_data: { allowedSystemModels: ['iPhone15,2'], allowedRpIDs: ['de.gematik.dsr'] },
  security_data: {
    blocklistClientIPs: ['217.110.27.114', '198.51.100.0/24'],
    allowedCountryCodes: ['DE', 'AT', 'CH'],
    blocklistUserIdentifier: ['X999999999'],
    torExitNodes: ['203.0.113.66'],
  },
});

/** A self-signed device certificate, as nginx forwards it ($ssl_client_escaped_cert). */
function deviceCertificate(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subjectDer = encodeName([[NAME_OIDS.CN, name]]);
  const der = buildCertificate(
    {
      serial: randomSerial(),
      subjectDer,
      spki: spkiOf(publicKey),
      notBefore: NOW - 24 * HOUR,
      notAfter: NOW + 365 * 24 * HOUR,
      extensions: [],
    },
    { key: privateKey, subjectDer, keyIdentifier: Buffer.alloc(20) },
  );
  return { der, escaped: encodeURIComponent(certificatePem(der)) };
}
const device = deviceCertificate('device');
const foreign = deviceCertificate('foreign');

function deviceHealth() {
  return {
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
    keyIdAttestation: { attestationVersion: 200, attestationSecurityLevel: 1 },
  };
}

function token(options: { model?: string; userIdentifier?: string; now?: number } = {}) {
  const subject = deviceTokenSubject({
    sub: 'x7P6hU3jZ2q0Wb1m5V9yFvN8cQeRtYuIoPaSdFgHjKl',
    type: 'ANDROID',
    userIdentifier: options.userIdentifier ?? 'X110411675',
    deviceHealth: deviceHealth(),
    deviceAttributes: {
      build: {
        version: { sdkInt: 33, securityPatch: '2023-06-05' },
        manufacturer: 'Google',
        model: options.model ?? 'Pixel 4a',
      },
      keyguardManager: { isDeviceSecure: true },
      devicePolicyManager: { passwordComplexity: 196608 },
    },
    clientCertificate: device.der,
  });
  return issueDeviceToken(keys, subject, { issuer: ISSUER, now: options.now ?? NOW }).token;
}

const healthy = token();

/** The headers nginx's auth_request forwards for a device request. */
const forwarded = (overrides: Record<string, string | undefined> = {}) => ({
  'x-device-token': healthy,
  'x-original-uri': '/fd/api/v1/records?id=1&id=2',
  'x-original-method': 'GET',
  'x-real-ip': '192.0.2.10',
  'x-country-code': 'DE',
  'x-client-certificate': device.escaped,
  accept: 'application/json',
  ...overrides,
});

function pep(options: Partial<PepOptions> = {}) {
  let verifications = 0;
  const enforcement = new PolicyEnforcementPoint({
    trust,
    policies,
    data,
    verify: (...args) => {
      verifications += 1;
      return verifyDeviceToken(...args);
    },
    ...options,
  });
  return { enforcement, verifications: () => verifications };
}

const pepResult = (headers: Record<string, string>) => JSON.parse(headers['X-Pep-Result']!);
const codes = (violations: { errorCode: string }[]) => violations.map((violation) => violation.errorCode);

describe('PolicyEnforcementPoint', () => {
  it('allows a healthy device with a bound token, naming device and user for the upstream', () => {
    const { enforcement } = pep();
    for (const profile of ['strict', 'lax'] as const) {
      const decision = enforcement.decide(forwarded(), profile, NOW);
      expect(decision.status).toBe(200);
      expect(decision.headers).toEqual({
        'X-Device-Id': 'x7P6hU3jZ2q0Wb1m5V9yFvN8cQeRtYuIoPaSdFgHjKl',
        'X-User-Id': 'X110411675',
      });
      expect(decision.tokenFailure).toBeUndefined();
      expect(decision.input).toMatchObject({
        request: {
          method: 'GET',
          path: '/fd/api/v1/records',
          query: { id: ['1', '2'] },
          url: '/fd/api/v1/records?id=1&id=2',
          clientIP: '192.0.2.10',
          countryCode: 'DE',
          headers: { Accept: ['application/json'], 'X-Original-Uri': ['/fd/api/v1/records?id=1&id=2'] },
        },
        deviceTokenValid: true,
        deviceTokenPayload: { sub: 'x7P6hU3jZ2q0Wb1m5V9yFvN8cQeRtYuIoPaSdFgHjKl', userIdentifier: 'X110411675' },
      });
      // The credentials are not copied into the PDP input.
      expect(decision.input?.request.headers).not.toHaveProperty('X-Device-Token');
      expect(decision.input?.request.headers).not.toHaveProperty('X-Client-Certificate');
    }
  });

  it('strict needs the certificate the token is bound to; lax takes the token alone', () => {
    const { enforcement } = pep();
    const foreignCertificate = forwarded({ 'x-client-certificate': foreign.escaped });
    const strict = enforcement.decide(foreignCertificate, 'strict', NOW);
    expect(strict.status).toBe(403);
    expect(strict.tokenFailure).toEqual({
      code: 'DSR_TOKEN_UNBOUND',
      detail: 'cnf x5t#S256 names another certificate',
    });
    expect(strict.input?.deviceTokenValid).toBe(false);
    expect(strict.input).not.toHaveProperty('deviceTokenPayload');
    expect(strict.headers).not.toHaveProperty('X-Device-Id');
    expect(enforcement.decide(foreignCertificate, 'lax', NOW).status).toBe(200);
  });

  it('denies in strict without a certificate, with the reference X-Pep-Result and the security verdict', () => {
    const { enforcement } = pep();
    for (const missing of [undefined, '']) {
      const decision = enforcement.decide(forwarded({ 'x-client-certificate': missing }), 'strict', NOW);
      expect(decision.status).toBe(403);
      expect(decision.tokenFailure).toEqual({ code: 'DSR_TOKEN_UNBOUND', detail: 'no client certificate presented' });
      expect(decision.denied).toContain('device-token-invalid');
      expect(pepResult(decision.headers)).toEqual({
        errorCode: 'POLICY_DENIED',
        description: 'Policy denied',
        decision: {
          id: decision.decisionId,
          result: { allow: false, device: expect.any(Object), security: { allow: true, violations: [] } },
        },
      });
      expect(Object.keys(pepResult(decision.headers))).toEqual(['errorCode', 'description', 'decision']);
    }
    expect(enforcement.decide(forwarded({ 'x-client-certificate': undefined }), 'lax', NOW).status).toBe(200);
  });

  it('denies an expired token, a missing one and a forged one, still computing the security verdict', () => {
    const { enforcement } = pep();
    const expired = enforcement.decide(forwarded({ 'x-real-ip': '217.110.27.114' }), 'lax', NOW + 2 * HOUR);
    expect(expired.status).toBe(403);
    expect(expired.tokenFailure?.code).toBe('DSR_TOKEN_EXPIRED');
    expect(codes(pepResult(expired.headers).decision.result.security.violations)).toEqual([
      'request_client_ip_blocked',
    ]);

    const missing = enforcement.decide(forwarded({ 'x-device-token': undefined }), 'lax', NOW);
    expect([missing.status, missing.tokenFailure?.code]).toEqual([403, 'DSR_PEP_TOKEN_MISSING']);
    expect(missing.verdict?.security.allow).toBe(true);

    const [header, payload, signature] = healthy.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, userIdentifier: 'X000000001' })).toString('base64url')}.${signature}`;
    const forged = enforcement.decide(forwarded({ 'x-device-token': altered }), 'lax', NOW);
    expect([forged.status, forged.tokenFailure?.code]).toEqual([403, 'DSR_TOKEN_INVALID']);
  });

  it('denies a blocked IP, a CIDR-blocked one, a Tor exit node and a foreign country with their violations', () => {
    const { enforcement } = pep();
    const cases = [
      [{ 'x-real-ip': '217.110.27.114' }, ['request_client_ip_blocked']],
      [{ 'x-real-ip': '198.51.100.7' }, ['request_client_ip_blocked']],
      [{ 'x-real-ip': '203.0.113.66' }, ['request_client_ip_not_allowed']],
      [{ 'x-country-code': 'US' }, ['request_country_code_not_match']],
    ] as const;
    for (const [overrides, expected] of cases) {
      const decision = enforcement.decide(forwarded(overrides), 'strict', NOW);
      expect(decision.status).toBe(403);
      expect(decision.tokenFailure).toBeUndefined();
      const { result } = pepResult(decision.headers).decision;
      expect([result.device.allow, result.security.allow]).toEqual([true, false]);
      expect(codes(result.security.violations)).toEqual(expected);
    }
  });

  it('denies a policy violation of the device and of the user', () => {
    const { enforcement } = pep();
    const model = enforcement.decide(forwarded({ 'x-device-token': token({ model: 'Rooted 1' }) }), 'lax', NOW);
    expect(model.status).toBe(403);
    expect(codes(pepResult(model.headers).decision.result.device.violations)).toEqual([
      'device_system_model_not_match',
    ]);
    const user = enforcement.decide(
      forwarded({ 'x-device-token': token({ userIdentifier: 'X999999999' }) }),
      'lax',
      NOW,
    );
    expect(codes(pepResult(user.headers).decision.result.security.violations)).toEqual(['user_identifier_not_allowed']);
  });

  it('verifies a token once and keeps it until it expires, checking the binding on every request', () => {
    const { enforcement, verifications } = pep();
    expect(enforcement.decide(forwarded(), 'strict', NOW).cached).toBe(false);
    const again = enforcement.decide(forwarded(), 'strict', NOW + 10 * 60_000);
    expect([again.status, again.cached]).toEqual([200, true]);
    const foreignCertificate = enforcement.decide(
      forwarded({ 'x-client-certificate': foreign.escaped }),
      'strict',
      NOW,
    );
    expect([foreignCertificate.status, foreignCertificate.cached]).toEqual([403, true]);
    expect(foreignCertificate.tokenFailure?.code).toBe('DSR_TOKEN_UNBOUND');
    expect(verifications()).toBe(1);

    // Past exp (and the 30 s of skew), the cache no longer answers: the verifier refuses.
    const late = enforcement.decide(forwarded(), 'strict', NOW + HOUR + 30_000);
    expect([late.status, late.cached, late.tokenFailure?.code]).toEqual([403, false, 'DSR_TOKEN_EXPIRED']);
    expect(verifications()).toBe(2);
    // Nor before its iat (a clock running behind).
    expect(enforcement.decide(forwarded(), 'strict', NOW - 31_000).tokenFailure?.code).toBe('DSR_TOKEN_NOT_YET_VALID');
    expect(verifications()).toBe(3);
  });

  it('does not keep tokens that fail, and forgets all on new GMS keys', () => {
    const { enforcement, verifications } = pep();
    const forged = forwarded({ 'x-device-token': `${healthy.slice(0, -4)}AAAA` });
    enforcement.decide(forged, 'lax', NOW);
    enforcement.decide(forged, 'lax', NOW);
    expect(verifications()).toBe(2);
    enforcement.decide(forwarded(), 'lax', NOW);
    enforcement.decide(forwarded(), 'lax', NOW);
    expect(verifications()).toBe(3);
    const otherKeys = DsrSigningKeys.parse(dsrSigningKeyFile([generateDsrSigningKey(NOW - HOUR)]));
    enforcement.update({ trust: { keys: keysFromJwks(otherKeys.jwks) } });
    const decision = enforcement.decide(forwarded(), 'lax', NOW);
    expect([decision.status, decision.cached, decision.tokenFailure?.code]).toEqual([403, false, 'DSR_TOKEN_INVALID']);
  });

  it('bounds the cache, dropping the least recently used token', () => {
    const { enforcement, verifications } = pep({ tokenCacheSize: 2 });
    const [a, b, c] = [token(), token(), token()];
    const use = (value: string) => enforcement.decide(forwarded({ 'x-device-token': value }), 'lax', NOW).cached;
    expect([use(a), use(b), use(a)]).toEqual([false, false, true]);
    expect(use(c)).toBe(false); // b goes: a was used more recently
    expect([use(a), use(c)]).toEqual([true, true]);
    expect(use(b)).toBe(false);
    expect(verifications()).toBe(4);
    expect(() => pep({ tokenCacheSize: 0 })).toThrow(RangeError);
  });

  it('denies a malformed request without a decision, as the reference does', () => {
    const { enforcement } = pep();
    for (const overrides of [
      { 'x-original-uri': 'https://fd.example/records' },
      { 'x-original-uri': '/records/%zz' },
      { 'x-original-uri': '/records#fragment' },
      { 'x-real-ip': 'not-an-ip' },
      { 'x-real-ip': '192.0.2.10, 198.51.100.7' },
      { 'x-original-method': 'GET /' },
      { 'x-country-code': 'D E' },
    ]) {
      const decision = enforcement.decide(forwarded(overrides), 'lax', NOW);
      expect(decision.status).toBe(403);
      expect(decision.requestError?.code).toBe('DSR_PEP_REQUEST_MALFORMED');
      expect(decision.verdict).toBeUndefined();
      expect(pepResult(decision.headers)).toEqual({ errorCode: 'ACCESS_DENIED', description: 'Access denied' });
    }
  });

  it('treats a malformed certificate as none in strict, and ignores it in lax', () => {
    const { enforcement } = pep();
    const decision = enforcement.decide(forwarded({ 'x-client-certificate': `${device.escaped}x` }), 'strict', NOW);
    expect([decision.status, decision.tokenFailure?.code]).toEqual([403, 'DSR_PEP_CERTIFICATE_MALFORMED']);
    expect(enforcement.decide(forwarded({ 'x-client-certificate': 'garbage%' }), 'lax', NOW).status).toBe(200);
  });

  it('reads the certificate from a configured header and uses the peer address without X-Real-IP', () => {
    const { enforcement } = pep({ clientCertificateHeader: 'X-SSL-Client-Cert' });
    const headers = forwarded({
      'x-client-certificate': undefined,
      'x-real-ip': undefined,
      'x-ssl-client-cert': device.escaped,
    });
    const decision = enforcement.decide(headers, 'strict', NOW, { remoteAddress: '217.110.27.114' });
    expect(codes(decision.verdict!.security.violations)).toEqual(['request_client_ip_blocked']);
    expect(decision.tokenFailure).toBeUndefined();
    expect(decision.input?.request.headers).not.toHaveProperty('X-Ssl-Client-Cert');
  });

  it('writes X-Pep-Result as header-safe JSON, escaping as the reference Go encoder does', () => {
    const strange = compilePolicies(
      `permit (principal, action, resource);
@id("deny-all") @scope("security") @errorCode("x") @description("Zugriff <verweigert> & gesperrt: ü")
forbid (principal, action, resource);`,
    );
    const { enforcement } = pep({ policies: strange });
    const { headers } = enforcement.decide(forwarded(), 'lax', NOW);
    expect(headers['X-Pep-Result']).toMatch(/^[\x20-\x7e]+$/);
    expect(headers['X-Pep-Result']).toContain('Zugriff \\u003cverweigert\\u003e \\u0026 gesperrt: \\u00fc');
    expect(pepResult(headers).decision.result.security.violations).toEqual([
      { errorCode: 'x', errorDescription: 'Zugriff <verweigert> & gesperrt: ü' },
    ]);
  });
});

describe('request context', () => {
  it('reads what nginx forwards into §5 request fields', () => {
    const { request, deviceToken, escapedCertificate } = readAuthRequest({
      'x-original-uri': '/a%20b/%2E%2E/c?q=x+y&__proto__=1&empty',
      'x-original-method': 'POST',
      'x-real-ip': '2001:db8::1',
      'x-device-token': '',
      'x-client-certificate': '',
      authorization: 'Bearer secret',
      cookie: 'session=secret',
    });
    expect(request).toEqual({
      method: 'POST',
      path: '/a b/../c',
      query: { q: ['x y'], ['__proto__']: ['1'], empty: [''] },
      url: '/a%20b/%2E%2E/c?q=x+y&__proto__=1&empty',
      clientIP: '2001:db8::1',
      countryCode: '',
      headers: {
        'X-Original-Uri': ['/a%20b/%2E%2E/c?q=x+y&__proto__=1&empty'],
        'X-Original-Method': ['POST'],
        'X-Real-Ip': ['2001:db8::1'],
      },
    });
    expect(Object.getPrototypeOf(request.query)).toBe(Object.prototype);
    expect([deviceToken, escapedCertificate]).toEqual([undefined, undefined]);
  });

  it('bounds each header and refuses a repeated one', () => {
    expect(outcome(() => readAuthRequest({ 'x-original-uri': `/${'a'.repeat(8192)}` }))).toBe(
      'CONTENT DSR_PEP_REQUEST_MALFORMED',
    );
    expect(outcome(() => readAuthRequest({ 'x-device-token': 'a'.repeat(32_769) }))).toBe(
      'CONTENT DSR_PEP_REQUEST_MALFORMED',
    );
    expect(outcome(() => readAuthRequest({ 'x-real-ip': ['192.0.2.1', '192.0.2.2'] }))).toBe(
      'CONTENT DSR_PEP_REQUEST_MALFORMED',
    );
    expect(readAuthRequest({ 'x-real-ip': ['192.0.2.1'] }).request.clientIP).toBe('192.0.2.1');
  });

  it('parses $ssl_client_escaped_cert strictly', () => {
    const pem = certificatePem(device.der);
    expect(parseEscapedCertificate(device.escaped).equals(device.der)).toBe(true);
    // nginx's escaping leaves "/" "=" "+" escaped; other proxies may not, and CRLF lines pass.
    expect(parseEscapedCertificate(pem.replace(/ /g, '%20').replace(/\n/g, '%0D%0A')).equals(device.der)).toBe(true);
    const malformed = [
      '',
      `${device.escaped}${device.escaped}`, // two blocks
      `garbage%0A${device.escaped}`, // text before
      device.escaped.replace('%0A-----END', 'AA%0A-----END'), // not canonical base64
      device.escaped.replace(/%2F/g, '%2f').replace('MII', 'M%C3%BC'), // non-ASCII
      device.escaped.replace('%0A', '%0'), // broken escape
      encodeURIComponent(pem.replace('CERTIFICATE-----\n', 'CERTIFICATE-----\n\t')), // nginx's old $ssl_client_cert form
      encodeURIComponent(certificatePem(Buffer.from('3003020100', 'hex'))), // not a certificate
      encodeURIComponent(pem.replace('BEGIN CERTIFICATE', 'BEGIN PRIVATE KEY')),
      'A'.repeat(16_385),
    ];
    for (const escaped of malformed)
      expect(
        outcome(() => parseEscapedCertificate(escaped)),
        escaped.slice(0, 60),
      ).toBe('CONTENT DSR_PEP_CERTIFICATE_MALFORMED');
  });
});
