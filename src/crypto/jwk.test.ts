import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint, spkiToJwk } from './jwk.js';

describe('jwkThumbprint', () => {
  it('computes the RFC 7638 §3.1 example', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' } as never)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('agrees with jose for EC keys, whatever other members the JWK carries', async () => {
    for (const namedCurve of ['P-256', 'P-384']) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve });
      const jwk = spkiToJwk(publicKey.export({ type: 'spki', format: 'der' }))!;
      expect(jwkThumbprint({ ...jwk, kid: 'ignored', use: 'sig' } as never)).toBe(await calculateJwkThumbprint(jwk as never));
    }
  });

  it('refuses key types without a defined thumbprint', () => {
    expect(() => jwkThumbprint({ kty: 'oct', k: 'AA' } as never)).toThrow('no JWK thumbprint for key type oct');
  });
});
