import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { keysFromJwks } from '../../crypto/jose/es256-keys.js';
import { signCompactJws } from '../../crypto/jose/compact-jws.js';
import { pemCertificates } from '../../crypto/x509/certificate.js';
import { outcome, rejection } from '../../../test/helpers/outcome.js';
import { generateMdvmRoot, issueSigningKey } from '../mdvm/signing-keys.js';
import {
  certificateThumbprint,
  type DeviceTokenTrust,
  deviceTokenSubject,
  issueDeviceToken,
  verifyDeviceToken,
} from './device-token.js';
import { DsrSigningKeys, dsrSigningKeyFile, generateDsrSigningKey } from './signing-keys.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const ISSUER = 'https://gms.keyward.example';
const older = generateDsrSigningKey(NOW - 48 * HOUR);
const newer = generateDsrSigningKey(NOW - HOUR);
const upcoming = generateDsrSigningKey(NOW + HOUR);
const keys = DsrSigningKeys.parse(dsrSigningKeyFile([older, newer, upcoming]));
const trust: DeviceTokenTrust = { keys: keysFromJwks(keys.jwks), issuers: [ISSUER] };

/** Two device certificates (any certificates do for a thumbprint). */
const certificateA = pemCertificates(generateMdvmRoot(NOW, 'device A').certificate)[0]!;
const certificateB = pemCertificates(generateMdvmRoot(NOW, 'device B').certificate)[0]!;

const deviceAttributes = { build: { version: { sdkInt: 34, securityPatch: '2026-02-01' }, model: 'Pixel 8' } };
const subject = deviceTokenSubject({
  sub: 'k0Yt6Q0pZ1f8XbX5i9o0fS3Zb3b8u6n4g5h6j7k8l9A=',
  type: 'ANDROID',
  userIdentifier: 'X110411675',
  deviceHealth: { keyIdAttestation: { attestationSecurityLevel: 1 } },
  deviceAttributes,
  clientCertificate: certificateA,
});
const issue = (now = NOW) => issueDeviceToken(keys, subject, { issuer: ISSUER, now });

/** A token signed over arbitrary header and claims with the current key. */
const forge = (header: Record<string, unknown>, claims: object, key = keys.signingKey(NOW)) =>
  signCompactJws({ alg: 'ES256', ...header }, claims, key.privateKey);

describe('DSR signing keys', () => {
  it('signs with the newest key already created and publishes every key', () => {
    expect(keys.signingKey(NOW).kid).toBe(newer.kid);
    expect(keys.signingKey(NOW + 2 * HOUR).kid).toBe(upcoming.kid);
    expect(keys.jwks.keys.map((jwk) => jwk.kid)).toEqual([upcoming.kid, newer.kid, older.kid]);
    for (const jwk of keys.jwks.keys) {
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
      expect(jwk).not.toHaveProperty('d');
    }
  });

  it('refuses files a wrong key would slip through', () => {
    expect(() => DsrSigningKeys.parse(dsrSigningKeyFile([{ ...older, kid: newer.kid }]))).toThrow('JWK thumbprint');
    expect(() => DsrSigningKeys.parse(dsrSigningKeyFile([older, older]))).toThrow('listed twice');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(() => DsrSigningKeys.parse(dsrSigningKeyFile([{ ...older, privateKey: rsa as string }]))).toThrow(
      'EC P-256',
    );
    expect(() => DsrSigningKeys.parse('{"keys":[]}')).toThrow('non-empty');
  });
});

describe('device token', () => {
  it('round-trips with the §5 claims, cnf naming the client certificate', () => {
    const { token, claims, kid } = issue();
    expect(kid).toBe(newer.kid);
    expect(claims).toEqual({
      iss: ISSUER,
      sub: subject.sub,
      iat: NOW / 1000,
      exp: NOW / 1000 + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'ANDROID',
      userIdentifier: 'X110411675',
      deviceHealth: { keyIdAttestation: { attestationSecurityLevel: 1 }, deviceAttributes },
      cnf: { 'x5t#S256': certificateThumbprint(certificateA) },
    });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({
      alg: 'ES256',
      typ: 'JWT',
      kid: newer.kid,
    });
    const verified = verifyDeviceToken(token, trust, NOW + 59 * 60_000);
    expect(verified).toEqual({ claims, kid: newer.kid, bound: false });
    expect(issue().claims.jti).not.toBe(claims.jti);
  });

  it('verifies with jose too (the JWKS is what other PEPs fetch)', async () => {
    const { token } = issue();
    const jwk = keys.jwks.keys.find((entry) => entry.kid === newer.kid)!;
    const { payload } = await jwtVerify(token, await importJWK(jwk as never, 'ES256'), {
      issuer: ISSUER,
      currentDate: new Date(NOW),
    });
    expect(payload.cnf).toEqual({ 'x5t#S256': certificateThumbprint(certificateA) });
  });

  it('tells whether cnf binds the presented client certificate', () => {
    const { token } = issue();
    expect(verifyDeviceToken(token, trust, NOW, { clientCertificate: certificateA }).bound).toBe(true);
    expect(verifyDeviceToken(token, trust, NOW, { clientCertificate: certificateB }).bound).toBe(false);
    expect(verifyDeviceToken(token, trust, NOW, { clientCertificate: certificateA, requireBinding: true }).bound).toBe(
      true,
    );
    expect(
      outcome(() => verifyDeviceToken(token, trust, NOW, { clientCertificate: certificateB, requireBinding: true })),
    ).toBe('TRUST DSR_TOKEN_UNBOUND');
    expect(outcome(() => verifyDeviceToken(token, trust, NOW, { requireBinding: true }))).toBe(
      'TRUST DSR_TOKEN_UNBOUND',
    );
  });

  it('checks exp and iat with 30 seconds of skew', () => {
    const { token } = issue();
    expect(outcome(() => verifyDeviceToken(token, trust, NOW + HOUR + 29_000))).toBe('accepted');
    expect(outcome(() => verifyDeviceToken(token, trust, NOW + HOUR + 30_000))).toBe('TIME DSR_TOKEN_EXPIRED');
    expect(outcome(() => verifyDeviceToken(token, trust, NOW - 30_000))).toBe('accepted');
    expect(outcome(() => verifyDeviceToken(token, trust, NOW - 31_000))).toBe('TIME DSR_TOKEN_NOT_YET_VALID');
    const strict = { ...trust, clockToleranceSeconds: 0 };
    expect(outcome(() => verifyDeviceToken(token, strict, NOW - 1000))).toBe('TIME DSR_TOKEN_NOT_YET_VALID');
    const { claims } = issue();
    const notBefore = forge({ kid: newer.kid }, { ...claims, nbf: NOW / 1000 + 600 });
    expect(outcome(() => verifyDeviceToken(notBefore, trust, NOW))).toBe('TIME DSR_TOKEN_NOT_YET_VALID');
    const inverted = forge({ kid: newer.kid }, { ...claims, exp: claims.iat });
    expect(outcome(() => verifyDeviceToken(inverted, trust, NOW))).toBe('TRUST DSR_TOKEN_INVALID');
  });

  it('accepts ES256 only: no none, no HS256 keyed with the public key, no other curve', async () => {
    const { claims } = issue();
    const payload = issue().token.split('.')[1];
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: newer.kid })).toString('base64url')}.${payload}.`;
    expect(outcome(() => verifyDeviceToken(none, trust, NOW))).toBe('CONTENT DSR_TOKEN_MALFORMED');
    const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', kid: newer.kid })).toString('base64url');
    const hs = signCompactJws({ alg: 'HS256', kid: newer.kid }, claims, Buffer.from(JSON.stringify(keys.jwks.keys[1])));
    expect(hs.startsWith(hsHeader)).toBe(true);
    expect(outcome(() => verifyDeviceToken(hs, trust, NOW))).toBe('TRUST DSR_TOKEN_INVALID');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const es384 = await new SignJWT(claims as never).setProtectedHeader({ alg: 'ES384', kid: newer.kid }).sign(p384);
    expect(rejection(() => verifyDeviceToken(es384, trust, NOW)).detail).toBe('alg "ES384"');
  });

  it('refuses an unknown kid, a foreign signature, a typ or crit it does not know, another issuer', () => {
    const { claims, token } = issue();
    const foreign = DsrSigningKeys.parse(dsrSigningKeyFile([generateDsrSigningKey(NOW - HOUR)]));
    const unknownKid = issueDeviceToken(foreign, subject, { issuer: ISSUER, now: NOW }).token;
    expect(rejection(() => verifyDeviceToken(unknownKid, trust, NOW)).detail).toMatch(/^unknown kid/);
    // The foreign key's signature under a trusted kid.
    const lying = forge({ kid: newer.kid, typ: 'JWT' }, claims, foreign.current);
    expect(rejection(() => verifyDeviceToken(lying, trust, NOW)).detail).toBe('signature');
    // A bit flipped in the signature.
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[10]! ^= 1;
    expect(outcome(() => verifyDeviceToken(`${h}.${p}.${flipped.toString('base64url')}`, trust, NOW))).toBe(
      'TRUST DSR_TOKEN_INVALID',
    );
    // Claims changed after signing.
    const altered = Buffer.from(JSON.stringify({ ...claims, userIdentifier: 'X000000000' })).toString('base64url');
    expect(outcome(() => verifyDeviceToken(`${h}.${altered}.${s}`, trust, NOW))).toBe('TRUST DSR_TOKEN_INVALID');
    expect(outcome(() => verifyDeviceToken(forge({ kid: newer.kid, typ: 'mdvm-token+jwt' }, claims), trust, NOW))).toBe(
      'TRUST DSR_TOKEN_INVALID',
    );
    expect(outcome(() => verifyDeviceToken(forge({ kid: newer.kid, crit: ['exp'] }, claims), trust, NOW))).toBe(
      'TRUST DSR_TOKEN_INVALID',
    );
    expect(outcome(() => verifyDeviceToken(token, { ...trust, issuers: ['DSR GMS 1.0.0'] }, NOW))).toBe(
      'TRUST DSR_TOKEN_INVALID',
    );
    expect(outcome(() => verifyDeviceToken(token, { keys: trust.keys }, NOW))).toBe('accepted');
    expect(outcome(() => verifyDeviceToken('not.a.token', trust, NOW))).toBe('CONTENT DSR_TOKEN_MALFORMED');
  });

  it('refuses claims of the wrong shape', () => {
    const { claims } = issue();
    const { cnf: _cnf, ...withoutCnf } = claims;
    for (const [changed, expected] of [
      [{ type: 'android' }, 'CONTENT DSR_TOKEN_MALFORMED'],
      [{ userIdentifier: 42 }, 'CONTENT DSR_TOKEN_MALFORMED'],
      [{ deviceHealth: [] }, 'CONTENT DSR_TOKEN_MALFORMED'],
      [{ exp: '1772370000' }, 'CONTENT DSR_TOKEN_MALFORMED'],
      [{ sub: '' }, 'CONTENT DSR_TOKEN_MALFORMED'],
      [{ cnf: { jwk: {} } }, 'TRUST DSR_TOKEN_INVALID'],
    ] as const)
      expect(outcome(() => verifyDeviceToken(forge({ kid: newer.kid }, { ...claims, ...changed }), trust, NOW))).toBe(
        expected,
      );
    expect(outcome(() => verifyDeviceToken(forge({ kid: newer.kid }, withoutCnf), trust, NOW))).toBe(
      'TRUST DSR_TOKEN_INVALID',
    );
  });

  it('accepts a reference-GMS token (no kid, its certificate in x5c) when its key is configured', () => {
    // The reference GMS signs with a certified key and names it by x5c only, putting its own certificate into cnf.
    const entry = issueSigningKey(generateMdvmRoot(NOW), NOW - HOUR);
    const [leaf] = pemCertificates(entry.certificateChain);
    const referenceClaims = {
      ...issue().claims,
      iss: 'DSR GMS 1.0.0',
      cnf: { 'x5t#S256': certificateThumbprint(leaf!) },
    };
    const referenceToken = signCompactJws(
      { alg: 'ES256', typ: 'JWT', x5c: [leaf!.toString('base64')] },
      referenceClaims,
      createPrivateKey(entry.privateKey),
    );
    const configured = keysFromJwks({ keys: [{ ...pemJwk(entry.privateKey), kid: 'reference-gms' }] });
    const verified = verifyDeviceToken(referenceToken, { keys: configured }, NOW, { clientCertificate: certificateA });
    expect(verified).toMatchObject({ kid: 'reference-gms', bound: false });
    // An x5c certificate whose key is not configured proves nothing.
    expect(rejection(() => verifyDeviceToken(referenceToken, trust, NOW)).detail).toBe(
      'the x5c signing certificate holds no trusted key',
    );
  });
});

function pemJwk(pem: string) {
  const { kty, crv, x, y } = createPrivateKey(pem).export({ format: 'jwk' });
  return { kty, crv, x, y };
}
