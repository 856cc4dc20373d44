import { generateKeyPairSync, sign } from 'node:crypto';
import { decode, encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { isKeywardError } from '../../errors.js';
import {
  COSE_ES256,
  COSE_ES384,
  COSE_ES512,
  coseSign1FromCbor,
  decodeCoseSign1,
  signCoseSign1,
  verifyCoseSign1,
} from './sign1.js';
import { coseToBeProcessed } from './structure.js';

const keyPair = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const p256 = keyPair('P-256');
const payload = new TextEncoder().encode('the payload');

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isKeywardError(error)) return error.code;
    throw error;
  }
  return undefined;
};

describe('COSE_Sign1', () => {
  it.each([
    ['P-256', COSE_ES256, 64],
    ['P-384', COSE_ES384, 96],
    ['P-521', COSE_ES512, 132],
  ] as const)('signs and verifies with %s (alg %i, r‖s of %i bytes)', (curve, alg, size) => {
    const { privateKey, publicKey } = keyPair(curve);
    const decoded = decodeCoseSign1(signCoseSign1({ payload, key: privateKey }));
    expect(decoded.alg).toBe(alg);
    expect(decoded.signature.length).toBe(size);
    expect(Buffer.from(decoded.payload!)).toEqual(Buffer.from(payload));
    expect(verifyCoseSign1(decoded, publicKey)).toBe(true);
    expect(verifyCoseSign1(decoded, p256.publicKey)).toBe(false);
  });

  it('puts alg in a canonical protected header', () => {
    const decoded = decodeCoseSign1(signCoseSign1({ payload, key: p256.privateKey }));
    expect(Buffer.from(decoded.protectedBytes).toString('hex')).toBe('a10126');
    expect(decoded.unprotected.size).toBe(0);
  });

  it('signs detached payloads, verified only with the payload supplied', () => {
    const bytes = signCoseSign1({ payload, key: p256.privateKey, detached: true });
    const decoded = decodeCoseSign1(bytes);
    expect(decoded.payload).toBeNull();
    expect(verifyCoseSign1(decoded, p256.publicKey, { detachedPayload: payload })).toBe(true);
    expect(verifyCoseSign1(decoded, p256.publicKey, { detachedPayload: Buffer.from('other') })).toBe(false);
    expect(codeOf(() => verifyCoseSign1(decoded, p256.publicKey))).toBe('COSE_PAYLOAD_MISSING');
    const attached = decodeCoseSign1(signCoseSign1({ payload, key: p256.privateKey }));
    expect(codeOf(() => verifyCoseSign1(attached, p256.publicKey, { detachedPayload: payload }))).toBe(
      'COSE_PAYLOAD_MISSING',
    );
  });

  it('binds external_aad', () => {
    const externalAad = Buffer.from('aad');
    const decoded = decodeCoseSign1(signCoseSign1({ payload, key: p256.privateKey, externalAad }));
    expect(verifyCoseSign1(decoded, p256.publicKey, { externalAad })).toBe(true);
    expect(verifyCoseSign1(decoded, p256.publicKey)).toBe(false);
  });

  it('writes and reads x5chain (label 33) as one bstr or an array', () => {
    const one = decodeCoseSign1(signCoseSign1({ payload, key: p256.privateKey, x5chain: [Buffer.from('leaf')] }));
    expect(one.unprotected.get(33)).toBeInstanceOf(Uint8Array);
    expect(one.x5chain?.map((der) => Buffer.from(der).toString())).toEqual(['leaf']);
    const two = decodeCoseSign1(
      signCoseSign1({ payload, key: p256.privateKey, x5chain: [Buffer.from('leaf'), Buffer.from('ca')] }),
    );
    expect(Array.isArray(two.unprotected.get(33))).toBe(true);
    expect(two.x5chain?.map((der) => Buffer.from(der).toString())).toEqual(['leaf', 'ca']);
  });

  it('decodes tag 18 and refuses other tags', () => {
    const tagged = signCoseSign1({ payload, key: p256.privateKey, tagged: true });
    expect(tagged[0]).toBe(0xd2);
    expect(verifyCoseSign1(decodeCoseSign1(tagged), p256.publicKey)).toBe(true);
    const untagged = decode(signCoseSign1({ payload, key: p256.privateKey }));
    expect(codeOf(() => coseSign1FromCbor(new Tag(17, untagged)))).toBe('COSE_SIGN1_MALFORMED');
  });

  it('keeps the exact protected bytes (a non-canonical header still verifies)', () => {
    // {1: -7} with a two-byte map length head: verification must use these bytes, not a re-encoding.
    const protectedBytes = Buffer.from('b8010126', 'hex');
    const toBeSigned = coseToBeProcessed('Signature1', protectedBytes, new Uint8Array(0), payload);
    const signature = sign('sha256', toBeSigned, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    const decoded = decodeCoseSign1(
      encode([new Uint8Array(protectedBytes), new Map(), payload, new Uint8Array(signature)]),
    );
    expect(decoded.alg).toBe(COSE_ES256);
    expect(Buffer.from(decoded.protectedBytes).toString('hex')).toBe('b8010126');
    expect(verifyCoseSign1(decoded, p256.publicKey)).toBe(true);
  });

  it.each([
    ['not an array', encode(new Map())],
    ['three elements', encode([new Uint8Array(0), new Map(), null])],
    ['protected not a bstr', encode([new Map(), new Map(), null, new Uint8Array(64)])],
    ['unprotected not a map', encode([new Uint8Array(0), [], null, new Uint8Array(64)])],
    ['payload a text', encode([new Uint8Array(0), new Map(), 'x', new Uint8Array(64)])],
    ['signature missing', encode([new Uint8Array(0), new Map(), null, null])],
    ['alg unprotected', encode([new Uint8Array(0), new Map([[1, -7]]), null, new Uint8Array(64)])],
    ['alg in both', encode([new Uint8Array([0xa1, 0x01, 0x26]), new Map([[1, -7]]), null, new Uint8Array(64)])],
    ['alg a text', encode([new Uint8Array([0xa1, 0x01, 0x61, 0x78]), new Map(), null, new Uint8Array(64)])],
    ['protected garbage', encode([new Uint8Array([0xa1, 0x01]), new Map(), null, new Uint8Array(64)])],
    ['x5chain text', encode([new Uint8Array(0), new Map([[33, 'pem']]), null, new Uint8Array(64)])],
    ['x5chain empty', encode([new Uint8Array(0), new Map([[33, []]]), null, new Uint8Array(64)])],
    ['trailing bytes', Buffer.concat([signCoseSign1({ payload, key: p256.privateKey }), Buffer.of(0)])],
  ])('refuses %s', (_, bytes) => {
    expect(codeOf(() => decodeCoseSign1(bytes))).toBe('COSE_SIGN1_MALFORMED');
  });

  it('refuses to verify without a supported alg', () => {
    const none = decodeCoseSign1(encode([new Uint8Array(0), new Map(), payload, new Uint8Array(64)]));
    expect(codeOf(() => verifyCoseSign1(none, p256.publicKey))).toBe('COSE_ALGORITHM_UNSUPPORTED');
    const eddsa = decodeCoseSign1(encode([new Uint8Array([0xa1, 0x01, 0x27]), new Map(), payload, new Uint8Array(64)]));
    expect(codeOf(() => verifyCoseSign1(eddsa, p256.publicKey))).toBe('COSE_ALGORITHM_UNSUPPORTED');
  });

  it('is false for a truncated signature or a non-EC key', () => {
    const decoded = decodeCoseSign1(signCoseSign1({ payload, key: p256.privateKey }));
    expect(verifyCoseSign1({ ...decoded, signature: decoded.signature.subarray(1) }, p256.publicKey)).toBe(false);
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(verifyCoseSign1(decoded, publicKey)).toBe(false);
  });

  it('refuses to sign with a key that does not fit alg', () => {
    expect(() => signCoseSign1({ payload, key: p256.privateKey, alg: COSE_ES384 })).toThrow(TypeError);
    expect(() => signCoseSign1({ payload, key: p256.publicKey })).toThrow(TypeError);
  });
});
