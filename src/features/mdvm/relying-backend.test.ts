import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { spkiToJwk } from '../../crypto/jose/jwk.js';
import { spkiOf } from '../../crypto/keys.js';
import { asyncOutcome } from '../../../test/helpers/outcome.js';
import { keysFromJwks, type MdvmTrust } from './mdvm-token.js';
import { MdvmRevocations, verifyMdvmRequest } from './relying-backend.js';
import { REVOCATION_LIST_TYPE } from './revocation-list.js';
import { generateMdvmRoot, issueSigningKey, MdvmSigningKeys, signingKeyFile } from './signing-keys.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const ISSUER = 'https://mdvm.example';
const root = generateMdvmRoot(NOW - 86_400_000);
const keys = MdvmSigningKeys.parse(signingKeyFile([issueSigningKey(root, NOW - 3_600_000)]));
const trust: MdvmTrust = { issuer: ISSUER, keys: keysFromJwks(keys.jwks) };
const jwkOf = () => {
  const { kty, crv, x, y } = spkiToJwk(spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey))!;
  return JSON.stringify({ kty, crv, x, y });
};

/** A JWS the MDVM key really signed, over exactly these header and payload texts. */
function signedByMdvm(header: string, payload: string): string {
  const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: keys.current.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

describe('relying backends refuse duplicate JSON members', () => {
  const iat = NOW / 1000;
  const tokenHeader = JSON.stringify({ alg: 'ES256', typ: 'mdvm-token+jwt', kid: keys.current.kid });
  const request = (token: string) =>
    verifyMdvmRequest(
      {
        message: {
          method: 'POST',
          target: '/v1/wpb/attestation',
          headers: { 'mdvm-token': token, 'auth-challenge': 'c' },
        },
        body: Buffer.alloc(0),
      },
      { trust, label: 'wpb-auth-sig', now: NOW, consumeChallenge: () => undefined },
    );

  it('in an mdvm_token: two cnf keys or two instance ids, even when the MDVM key signed them', async () => {
    const claims = `{"iss":"${ISSUER}","iat":${iat},"exp":${iat + 3600},"mdvm_wi_id":"${randomUUID()}","cnf":{"jwk":${jwkOf()}}`;
    // The genuine form gets past the token to the (missing) request signature.
    expect(await asyncOutcome(request(signedByMdvm(tokenHeader, `${claims}}`)))).toBe('CONTENT SIGNATURE_MISSING');
    expect(await asyncOutcome(request(signedByMdvm(tokenHeader, `${claims},"cnf":{"jwk":${jwkOf()}}}`)))).toBe(
      'CONTENT MDVM_TOKEN_MALFORMED',
    );
    expect(await asyncOutcome(request(signedByMdvm(tokenHeader, `${claims},"mdvm_wi_id":"${randomUUID()}"}`)))).toBe(
      'CONTENT MDVM_TOKEN_MALFORMED',
    );
    expect(
      await asyncOutcome(
        request(
          signedByMdvm(tokenHeader, `${claims.replace('"cnf":{"jwk":', `"cnf":{"jwk":${jwkOf()},"\\u006awk":`)}}`),
        ),
      ),
    ).toBe('CONTENT MDVM_TOKEN_MALFORMED');
    expect(await asyncOutcome(request(signedByMdvm(`${tokenHeader.slice(0, -1)},"typ":"JWT"}`, `${claims}}`)))).toBe(
      'CONTENT MDVM_TOKEN_MALFORMED',
    );
  });

  it('in a revocation list verified with jose: a second "revoked" member does not hide the first', async () => {
    const header = JSON.stringify({ alg: 'ES256', typ: REVOCATION_LIST_TYPE, kid: keys.current.kid });
    const listed = JSON.stringify([{ mdvm_wi_id: randomUUID(), revoked_at: iat - 60, reason: 'lost' }]);
    const claims = `{"iss":"${ISSUER}","iat":${iat},"since":${iat - 3600},"revoked":${listed}`;
    const revocations = new MdvmRevocations(trust);
    expect(await revocations.apply(signedByMdvm(header, `${claims}}`), NOW)).toBe(1);
    const fresh = new MdvmRevocations(trust);
    expect(await asyncOutcome(fresh.apply(signedByMdvm(header, `${claims},"revoked":[]}`), NOW))).toBe(
      'CONTENT REVOCATION_LIST_MALFORMED',
    );
    expect(
      await asyncOutcome(fresh.apply(signedByMdvm(`${header.slice(0, -1)},"kid":"other"}`, `${claims}}`), NOW)),
    ).toBe('CONTENT REVOCATION_LIST_MALFORMED');
    expect(fresh.since).toBeUndefined();
  });
});
