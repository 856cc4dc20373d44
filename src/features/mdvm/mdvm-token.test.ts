import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseCertificate, pemCertificates } from '../../crypto/x509/certificate.js';
import { spkiToJwk } from '../../crypto/jose/jwk.js';
import { spkiOf } from '../../crypto/keys.js';
import { asyncOutcome } from '../../../test/helpers/outcome.js';
import { issueMdvmToken, keysFromJwks, verifyMdvmToken, type MdvmTrust } from './mdvm-token.js';
import { MdvmRevocations } from './relying-backend.js';
import { signRevocationList } from './revocation-list.js';
import { generateMdvmRoot, issueSigningKey, MdvmSigningKeys, signingKeyFile } from './signing-keys.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const ISSUER = 'https://mdvm.example';
const root = generateMdvmRoot(NOW - 86_400_000);
const older = issueSigningKey(root, NOW - 86_400_000);
const newer = issueSigningKey(root, NOW - 3_600_000);
const keys = MdvmSigningKeys.parse(signingKeyFile([older, newer]));
const wallet = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const authJwk = spkiToJwk(spkiOf(wallet.publicKey))!;
const trust: MdvmTrust = { issuer: ISSUER, keys: keysFromJwks(keys.jwks) };

const token = (options: Partial<Parameters<typeof issueMdvmToken>[1]> = {}, key = keys.current) =>
  issueMdvmToken(key, {
    format: 'reference',
    issuer: ISSUER,
    accountId: randomUUID(),
    authJwk,
    now: NOW,
    lifetimeSeconds: 3600,
    ...options,
  });

describe('MDVM signing keys', () => {
  it('signs with the newest key and publishes all of them with their chains', () => {
    expect(keys.current.kid).toBe(newer.kid);
    expect(keys.jwks.keys.map((jwk) => jwk.kid)).toEqual([newer.kid, older.kid]);
    for (const jwk of keys.jwks.keys) {
      const chain = (jwk as { x5c: string[] }).x5c.map((der) => parseCertificate(Buffer.from(der, 'base64')));
      expect(chain.at(-1)!.der.equals(pemCertificates(root.certificate)[0]!)).toBe(true);
    }
  });

  it('refuses key files that do not hold together, saying why', () => {
    const otherRoot = generateMdvmRoot(NOW);
    const foreign = issueSigningKey(otherRoot, NOW);
    expect(() => MdvmSigningKeys.parse(signingKeyFile([older, foreign]))).toThrow(
      'every chain must end in the same root',
    );
    expect(() => MdvmSigningKeys.parse(signingKeyFile([{ ...older, kid: newer.kid }]))).toThrow(
      "kid must be the key's JWK thumbprint",
    );
    expect(() => MdvmSigningKeys.parse(signingKeyFile([{ ...older, privateKey: newer.privateKey }]))).toThrow(
      'the private key does not belong to the signing certificate',
    );
    expect(() =>
      MdvmSigningKeys.parse(
        signingKeyFile([
          {
            ...older,
            certificateChain:
              older.certificateChain.split('-----END CERTIFICATE-----')[0] +
              '-----END CERTIFICATE-----\n' +
              otherRoot.certificate,
          },
        ]),
      ),
    ).toThrow('certificate 0 of the chain is not signed by the next one');
    expect(() => MdvmSigningKeys.parse('{"keys":[]}')).toThrow('"keys" must be a non-empty array');
  });
});

describe('verifyMdvmToken', () => {
  it('accepts both token forms, by JWKS kid or by x5c chain to the pinned root, also after a key rotation', async () => {
    const reference = await token();
    const verified = await verifyMdvmToken(reference.token, trust, NOW + 1000);
    expect(verified).toMatchObject({
      format: 'reference',
      kid: newer.kid,
      authJwk: { kty: 'EC', crv: 'P-256', x: authJwk.x, y: authJwk.y },
      expiresAt: NOW / 1000 + 3600,
    });
    const documented = await token({ format: 'documented' });
    expect((await verifyMdvmToken(documented.token, trust, NOW)).format).toBe('documented');
    const signedBeforeRotation = await token({}, keys.find(older.kid)!);
    expect((await verifyMdvmToken(signedBeforeRotation.token, trust, NOW)).kid).toBe(older.kid);
    const pinned: MdvmTrust = { issuer: ISSUER, root: parseCertificate(pemCertificates(root.certificate)[0]!) };
    expect((await verifyMdvmToken(reference.token, pinned, NOW)).kid).toBe(newer.kid);
    expect(await asyncOutcome(verifyMdvmToken(documented.token, pinned, NOW))).toBe('TRUST MDVM_TOKEN_INVALID');
    expect(await asyncOutcome(verifyMdvmToken(reference.token, { ...trust, formats: ['documented'] }, NOW))).toBe(
      'TRUST MDVM_TOKEN_INVALID',
    );
  });

  it('refuses expired, foreign, tampered, mis-issued and malformed tokens with their codes', async () => {
    const { token: valid } = await token();
    expect(await asyncOutcome(verifyMdvmToken(valid, trust, NOW + 3_700_000))).toBe('TIME MDVM_TOKEN_EXPIRED');
    expect(await asyncOutcome(verifyMdvmToken(valid, { ...trust, issuer: 'https://other.example' }, NOW))).toBe(
      'TRUST MDVM_TOKEN_INVALID',
    );
    const otherKeys = MdvmSigningKeys.parse(signingKeyFile([issueSigningKey(generateMdvmRoot(NOW), NOW)]));
    expect(await asyncOutcome(verifyMdvmToken((await token({}, otherKeys.current)).token, trust, NOW))).toBe(
      'TRUST MDVM_TOKEN_INVALID',
    );
    const pinnedOther: MdvmTrust = { issuer: ISSUER, root: parseCertificate(otherKeys.root.der) };
    expect(await asyncOutcome(verifyMdvmToken(valid, pinnedOther, NOW))).toBe('TRUST MDVM_TOKEN_INVALID');
    const [header, payload, signature] = valid.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const swapped = Buffer.from(JSON.stringify({ ...claims, mdvm_wi_id: randomUUID() })).toString('base64url');
    expect(await asyncOutcome(verifyMdvmToken(`${header}.${swapped}.${signature}`, trust, NOW))).toBe(
      'TRUST MDVM_TOKEN_INVALID',
    );
    expect(await asyncOutcome(verifyMdvmToken('not.a.jwt', trust, NOW))).toBe('CONTENT MDVM_TOKEN_MALFORMED');
    const noCnf = await new SignJWT({ mdvm_wi_id: randomUUID(), cnf: { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } } })
      .setProtectedHeader({ alg: 'ES256', typ: 'mdvm-token+jwt', kid: keys.current.kid })
      .setIssuer(ISSUER)
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + 60)
      .sign(keys.current.privateKey);
    expect(await asyncOutcome(verifyMdvmToken(noCnf, trust, NOW))).toBe('TRUST MDVM_TOKEN_INVALID');
    const future = await token({ now: NOW + 600_000 });
    expect(await asyncOutcome(verifyMdvmToken(future.token, trust, NOW))).toBe('TRUST MDVM_TOKEN_INVALID');
  });
});

describe('MdvmRevocations', () => {
  const revocation = (id: string, at: number) => ({ id, revokedAt: at, reason: 'test' });

  it('merges verified lists, continues a cut list at next, and forgets what no live token can outlast', async () => {
    const revocations = new MdvmRevocations(trust);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const first = await signRevocationList(keys.current, {
      issuer: ISSUER,
      now: NOW,
      since: NOW / 1000 - 3600,
      revocations: [revocation(a, NOW - 7_200_000), revocation(b, NOW - 60_000)],
      truncated: true,
    });
    expect(await revocations.apply(first, NOW)).toBe(2);
    expect(revocations.since).toBe((NOW - 60_000) / 1000);
    const second = await signRevocationList(keys.current, {
      issuer: ISSUER,
      now: NOW,
      since: revocations.since!,
      revocations: [revocation(c, NOW - 1000)],
      truncated: false,
    });
    await revocations.apply(second, NOW);
    expect(revocations.since).toBe(NOW / 1000 - 60);
    expect([a, b, c].map((id) => revocations.isRevoked(id))).toEqual([true, true, true]);
    expect(revocations.isRevoked(randomUUID())).toBe(false);
    revocations.forgetBefore(NOW / 1000 - 3600);
    expect([a, b, c].map((id) => revocations.isRevoked(id))).toEqual([false, true, true]);
  });

  it('refuses lists not signed by a trusted key or for another issuer', async () => {
    const revocations = new MdvmRevocations(trust);
    const otherKeys = MdvmSigningKeys.parse(signingKeyFile([issueSigningKey(generateMdvmRoot(NOW), NOW)]));
    const foreign = await signRevocationList(otherKeys.current, {
      issuer: ISSUER,
      now: NOW,
      since: 0,
      revocations: [],
      truncated: false,
    });
    expect(await asyncOutcome(revocations.apply(foreign, NOW))).toBe('TRUST REVOCATION_LIST_INVALID');
    const otherIssuer = await signRevocationList(keys.current, {
      issuer: 'https://other.example',
      now: NOW,
      since: 0,
      revocations: [],
      truncated: false,
    });
    expect(await asyncOutcome(revocations.apply(otherIssuer, NOW))).toBe('TRUST REVOCATION_LIST_INVALID');
    expect(await asyncOutcome(revocations.apply('garbage', NOW))).toBe('CONTENT REVOCATION_LIST_MALFORMED');
  });
});
