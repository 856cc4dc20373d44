import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeCompactJws, verifyEs256 } from './compact-jws.js';

describe('compact JWS', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });

  it('decodes and verifies what jose signs with ES256, and nothing else', async () => {
    const token = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg: 'ES256', typ: 'test+jwt' })
      .sign(privateKey);
    const jws = decodeCompactJws(token);
    expect(jws.header).toEqual({ alg: 'ES256', typ: 'test+jwt' });
    expect(jws.payload).toEqual({ sub: 'x' });
    expect(verifyEs256(jws, publicKey)).toBe(true);
    expect(verifyEs256(jws, other.publicKey)).toBe(false);
    expect(verifyEs256(jws, p384.publicKey)).toBe(false);
    expect(verifyEs256({ ...jws, signature: jws.signature.subarray(1) }, publicKey)).toBe(false);
    const [h, , s] = token.split('.');
    const tampered = decodeCompactJws(`${h}.${Buffer.from('{"sub":"y"}').toString('base64url')}.${s}`);
    expect(verifyEs256(tampered, publicKey)).toBe(false);
  });

  it('refuses malformed tokens with a SyntaxError', () => {
    const header = Buffer.from('{"alg":"ES256"}').toString('base64url');
    const payload = Buffer.from('{}').toString('base64url');
    for (const bad of [
      'a.b',
      `${header}.${payload}.AA.AA`,
      `${header}=.${payload}.AAAA`,
      `${header}.${Buffer.from('[1]').toString('base64url')}.AAAA`,
      `${header}.${payload}.A+A`,
      `${header}.${Buffer.from('{').toString('base64url')}.AAAA`,
      'x'.repeat(20_000),
    ]) {
      expect(() => decodeCompactJws(bad)).toThrow(SyntaxError);
    }
  });
});
