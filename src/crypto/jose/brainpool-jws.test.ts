import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testCardPki, virtualCard } from '../../../test/helpers/dsr-card.js';
import { parseCertificate } from '../x509/certificate.js';
import { type BrainpoolJwsFailure, signBrainpoolJws, verifyBrainpoolJws } from './brainpool-jws.js';

class Refused extends Error {
  constructor(
    readonly reason: BrainpoolJwsFailure,
    detail: string,
  ) {
    super(detail);
  }
}
const fail = (reason: BrainpoolJwsFailure, detail: string) => new Refused(reason, detail);

/** The reason `token` is refused for, or 'accepted'. */
function outcome(token: string): BrainpoolJwsFailure | 'accepted' {
  try {
    verifyBrainpoolJws(token, fail);
    return 'accepted';
  } catch (error) {
    if (error instanceof Refused) return error.reason;
    throw error;
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('BP256R1 compact JWS', () => {
  const card = virtualCard();

  it('verifies a token signed with the virtual health card and returns its claims and certificate', () => {
    const token = signBrainpoolJws({ sub: 'abc', iat: 1 }, card.privateKey, [card.der]);
    const jws = verifyBrainpoolJws(token, fail);
    expect(jws.header).toEqual({ alg: 'BP256R1', x5c: [card.der.toString('base64')] });
    expect(jws.payload).toEqual({ sub: 'abc', iat: 1 });
    expect(jws.leaf.der.equals(card.der)).toBe(true);
    expect(jws.leaf.curve).toBe('brainpoolP256r1');
    expect(jws.certificates).toHaveLength(1);
  });

  it('refuses a tampered payload, a truncated signature and another card key as signature failures', () => {
    const token = signBrainpoolJws({ sub: 'abc' }, card.privateKey, [card.der]);
    const [header, , signature] = token.split('.');
    expect(outcome(`${header}.${b64url({ sub: 'abd' })}.${signature}`)).toBe('signature');
    expect(
      outcome(
        `${header}.${token.split('.')[1]}.${Buffer.from(signature!, 'base64url').subarray(1).toString('base64url')}`,
      ),
    ).toBe('signature');
    const other = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    expect(outcome(signBrainpoolJws({ sub: 'abc' }, other.privateKey, [card.der]))).toBe('signature');
  });

  it('refuses every other algorithm, even with a valid brainpool signature', () => {
    for (const alg of ['ES256', 'bp256r1', 'none', 'BP256R1 ', undefined, 7]) {
      const token = signBrainpoolJws({ sub: 'abc' }, card.privateKey, [card.der], { alg });
      expect(outcome(token), String(alg)).toBe('algorithm');
    }
  });

  it('refuses a leaf whose key is not on brainpoolP256r1', () => {
    const pki = testCardPki({ cardCurve: 'prime256v1' });
    const header = b64url({ alg: 'BP256R1', x5c: [pki.cardDer.toString('base64')] });
    const payload = b64url({ sub: 'abc' });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: pki.cardKey,
      dsaEncoding: 'ieee-p1363',
    });
    expect(outcome(`${header}.${payload}.${signature.toString('base64url')}`)).toBe('key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => signBrainpoolJws({}, rsa.privateKey, [card.der])).toThrow(TypeError);
  });

  it('refuses malformed tokens, x5c and crit', () => {
    const good = signBrainpoolJws({ sub: 'abc' }, card.privateKey, [card.der]);
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const withHeader = (value: unknown) => `${b64url(value)}.${payload}.${signature}`;
    const cert = card.der.toString('base64');
    for (const bad of [
      '',
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.`,
      `${header}=.${payload}.${signature}`,
      `${header}.${Buffer.from('[1]').toString('base64url')}.${signature}`,
      `${header}.${Buffer.from('{"a":1,"a":2}').toString('base64url')}.${signature}`,
      withHeader({ alg: 'BP256R1' }),
      withHeader({ alg: 'BP256R1', x5c: [] }),
      withHeader({ alg: 'BP256R1', x5c: cert }),
      withHeader({ alg: 'BP256R1', x5c: [card.der.toString('base64url')] }),
      withHeader({ alg: 'BP256R1', x5c: [`${cert.slice(0, 64)}\n${cert.slice(64)}`] }),
      withHeader({ alg: 'BP256R1', x5c: [Buffer.from('not a certificate').toString('base64')] }),
      withHeader({ alg: 'BP256R1', x5c: [cert, cert, cert, cert, cert] }),
      withHeader({ alg: 'BP256R1', x5c: [cert], crit: ['exp'] }),
      `${header}.${payload}.${signature}`.padEnd(70_000, 'A'),
    ]) {
      expect(outcome(bad), bad.slice(0, 60)).toBe('malformed');
    }
  });

  it('returns the further x5c certificates unchecked, leaf first', () => {
    const pki = testCardPki();
    const token = signBrainpoolJws({}, pki.cardKey, [pki.cardDer, pki.caDer]);
    const jws = verifyBrainpoolJws(token, fail);
    expect(jws.certificates.map((certificate) => certificate.der)).toEqual([pki.cardDer, pki.caDer]);
    expect(parseCertificate(pki.caDer).curve).toBe('brainpoolP256r1');
  });
});
