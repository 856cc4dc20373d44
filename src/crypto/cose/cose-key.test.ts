import { generateKeyPairSync } from 'node:crypto';
import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../errors.js';
import { coseKeyToPublicKey, encodeCoseKey, publicKeyToCoseKey } from './cose-key.js';

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isKeywardError(error)) return error.code;
    throw error;
  }
  return undefined;
};

describe('EC2 COSE_Key', () => {
  it.each([
    ['P-256', 1, 32],
    ['P-384', 2, 48],
    ['P-521', 3, 66],
  ] as const)('round-trips %s (crv %i)', (namedCurve, crv, size) => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
    const map = publicKeyToCoseKey(privateKey);
    expect(map.get(1)).toBe(2);
    expect(map.get(-1)).toBe(crv);
    expect((map.get(-2) as Uint8Array).length).toBe(size);
    expect(coseKeyToPublicKey(map).equals(publicKey)).toBe(true);
    expect(coseKeyToPublicKey(encodeCoseKey(publicKey)).equals(publicKey)).toBe(true);
  });

  it('encodes canonically (length-first keys: 1, -1, -2, -3)', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bytes = Buffer.from(encodeCoseKey(publicKey));
    expect(bytes.subarray(0, 6).toString('hex')).toBe('a40102200121');
    expect(bytes[40]).toBe(0x22);
  });

  const valid = publicKeyToCoseKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  const variant = (change: (map: Map<number, unknown>) => void) => {
    const map = new Map<number, unknown>(valid);
    change(map);
    return map;
  };
  it.each([
    ['OKP kty', variant((map) => map.set(1, 1))],
    ['secp256k1 crv', variant((map) => map.set(-1, 8))],
    ['a short x', variant((map) => map.set(-2, new Uint8Array(31)))],
    ['a compressed y', variant((map) => map.set(-3, true))],
    ['a private part', variant((map) => map.set(-4, new Uint8Array(32)))],
    ['alg ES384 on P-256', variant((map) => map.set(3, -35))],
    ['a point off the curve', variant((map) => map.set(-3, new Uint8Array(32).fill(1)))],
  ])('refuses %s', (_, map) => {
    expect(codeOf(() => coseKeyToPublicKey(map as Map<unknown, unknown>))).toBe('COSE_KEY_MALFORMED');
  });

  it('refuses bytes that are not a map', () => {
    expect(codeOf(() => coseKeyToPublicKey(encode([1, 2])))).toBe('COSE_KEY_MALFORMED');
    expect(codeOf(() => coseKeyToPublicKey(Buffer.of(0xa1)))).toBe('COSE_KEY_MALFORMED');
  });

  it('accepts alg ES256 on P-256', () => {
    expect(() => coseKeyToPublicKey(variant((map) => map.set(3, -7)) as Map<unknown, unknown>)).not.toThrow();
  });
});
