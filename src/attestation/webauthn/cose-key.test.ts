import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../../test/helpers/outcome.js';
import {
  ALGORITHMS,
  type AlgorithmName,
  alteredCose,
  bstr,
  coseEntriesOf,
  credential,
} from '../../../test/webauthn/credentials.js';
import { COSE_ALGORITHMS, parseCoseKey, verifyCoseSignature, verifyWithAlgorithm } from './cose-key.js';

const NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];
const DATA = Buffer.from('authenticatorData ‖ clientDataHash');

describe('COSE_ALGORITHMS', () => {
  it('lists the eleven algorithms of the issue with their hashes', () => {
    expect(Object.fromEntries([...COSE_ALGORITHMS].map(([id, { name, hash }]) => [name, { id, hash }]))).toEqual({
      ES256: { id: -7, hash: 'sha256' },
      ES384: { id: -35, hash: 'sha384' },
      ES512: { id: -36, hash: 'sha512' },
      EdDSA: { id: -8, hash: null },
      RS256: { id: -257, hash: 'sha256' },
      RS384: { id: -258, hash: 'sha384' },
      RS512: { id: -259, hash: 'sha512' },
      PS256: { id: -37, hash: 'sha256' },
      PS384: { id: -38, hash: 'sha384' },
      PS512: { id: -39, hash: 'sha512' },
      RS1: { id: -65535, hash: 'sha1' },
    });
  });
});

describe('parseCoseKey and verifyCoseSignature', () => {
  it.each(NAMES)('%s: imports the key, gives its SPKI and verifies its signatures', (name) => {
    const made = credential(name);
    const key = parseCoseKey(made.cose);
    expect(key.alg).toBe(made.alg);
    expect(key.kty).toBe(made.coseEntries.get(1));
    expect(key.crv).toBe(key.kty === 3 ? undefined : made.coseEntries.get(-1));
    expect(key.spki).toEqual(made.publicKey.export({ format: 'der', type: 'spki' }));
    expect(key.key.equals(made.publicKey)).toBe(true);

    const signature = made.sign(DATA);
    expect(verifyCoseSignature(key, DATA, signature)).toBe(true);
    expect(verifyCoseSignature(key, Buffer.from('other data'), signature)).toBe(false);
    const flipped = Buffer.from(signature);
    flipped[flipped.length - 1]! ^= 1;
    expect(verifyCoseSignature(key, DATA, flipped)).toBe(false);
    expect(verifyCoseSignature(key, DATA, new Uint8Array(0))).toBe(false);
  });

  it('does not verify a signature made with another key of the same algorithm', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(
      verifyCoseSignature(parseCoseKey(credential('ES256').cose), DATA, sign('sha256', DATA, other.privateKey)),
    ).toBe(false);
  });

  it('wants ECDSA signatures DER-encoded, as WebAuthn sends them, not raw r‖s', () => {
    const made = credential('ES256');
    const raw = sign('sha256', DATA, { key: made.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifyCoseSignature(parseCoseKey(made.cose), DATA, raw)).toBe(false);
  });

  it("holds each key to its own algorithm's padding and hash", () => {
    const rsa = credential('RS256');
    const pkcs1 = sign('sha256', DATA, rsa.privateKey);
    const pss = sign('sha256', DATA, {
      key: rsa.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
    const asPs256 = parseCoseKey(alteredCose(rsa.coseEntries, [[3, -37]]));
    const asRs256 = parseCoseKey(rsa.cose);
    const asRs384 = parseCoseKey(alteredCose(rsa.coseEntries, [[3, -258]]));
    expect(verifyCoseSignature(asRs256, DATA, pkcs1)).toBe(true);
    expect(verifyCoseSignature(asPs256, DATA, pss)).toBe(true);
    expect(verifyCoseSignature(asPs256, DATA, pkcs1)).toBe(false);
    expect(verifyCoseSignature(asRs256, DATA, pss)).toBe(false);
    expect(verifyCoseSignature(asRs384, DATA, pkcs1)).toBe(false);
    // PSS with another salt length than the hash length is not PS256.
    const longSalt = sign('sha256', DATA, {
      key: rsa.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    });
    expect(verifyCoseSignature(asPs256, DATA, longSalt)).toBe(false);
  });

  it('accepts an RSA modulus with a leading zero byte and gives the canonical SPKI', () => {
    const rsa = credential('RS256');
    const n = rsa.coseEntries.get(-1) as Uint8Array;
    const key = parseCoseKey(alteredCose(rsa.coseEntries, [[-1, bstr(Buffer.concat([Buffer.of(0), n]))]]));
    expect(key.spki).toEqual(rsa.publicKey.export({ format: 'der', type: 'spki' }));
  });

  it('ignores labels it does not use (kid, key_ops)', () => {
    const made = credential('ES256');
    const key = parseCoseKey(
      alteredCose(made.coseEntries, [
        [2, bstr(Buffer.from('key id'))],
        [4, [2]],
      ]),
    );
    expect(key.key.equals(made.publicKey)).toBe(true);
  });
});

describe('parseCoseKey refuses', () => {
  const es256 = () => credential('ES256').coseEntries;
  const malformed = (bytes: Uint8Array) => expectRejection(() => parseCoseKey(bytes), 'CONTENT', 'COSE_KEY_MALFORMED');

  it('what is not a single CBOR map', () => {
    malformed(encode([1, 2]));
    malformed(encode('key'));
    const bytes = credential('ES256').cose;
    malformed(bytes.subarray(0, bytes.length - 1));
    malformed(Buffer.concat([bytes, Buffer.of(0)]));
    malformed(new Uint8Array(0));
  });

  it('a repeated label', () => {
    const bytes = Buffer.from(credential('ES256').cose);
    // a5 (5 entries) → a6, then a second kty.
    bytes[0] = 0xa6;
    malformed(Buffer.concat([bytes, Buffer.of(0x01, 0x02)]));
  });

  it('a key without kty or alg, or with either of the wrong type', () => {
    malformed(alteredCose(es256(), [[1, undefined]]));
    malformed(alteredCose(es256(), [[3, undefined]]));
    malformed(alteredCose(es256(), [[1, 'EC2']]));
    malformed(alteredCose(es256(), [[3, 'ES256']]));
  });

  it('an algorithm Keyward does not verify, with its own code', () => {
    for (const alg of [-47, -48, -19, -257_000, 0])
      expectRejection(() => parseCoseKey(alteredCose(es256(), [[3, alg]])), 'CONTENT', 'COSE_ALGORITHM_UNSUPPORTED');
  });

  it('an algorithm that does not fit the key type or curve', () => {
    malformed(alteredCose(es256(), [[3, -257]]));
    malformed(alteredCose(es256(), [[3, -8]]));
    malformed(alteredCose(es256(), [[3, -35]]));
    malformed(alteredCose(credential('ES384').coseEntries, [[3, -7]]));
    malformed(alteredCose(credential('RS256').coseEntries, [[3, -7]]));
    malformed(alteredCose(credential('EdDSA').coseEntries, [[-1, 7]]));
    malformed(alteredCose(credential('EdDSA').coseEntries, [[3, -7]]));
  });

  it('coordinates of the wrong size, compressed points and points off the curve', () => {
    const x = es256().get(-2) as Uint8Array;
    const y = es256().get(-3) as Uint8Array;
    malformed(alteredCose(es256(), [[-2, x.subarray(1)]]));
    malformed(alteredCose(es256(), [[-3, bstr(Buffer.concat([y, Buffer.of(0)]))]]));
    malformed(alteredCose(es256(), [[-3, true]]));
    malformed(alteredCose(es256(), [[-3, undefined]]));
    const offCurve = Buffer.from(y);
    offCurve[31]! ^= 1;
    malformed(alteredCose(es256(), [[-3, bstr(offCurve)]]));
    malformed(alteredCose(credential('EdDSA').coseEntries, [[-2, bstr(Buffer.alloc(31))]]));
  });

  it('private key material', () => {
    malformed(alteredCose(es256(), [[-4, bstr(Buffer.alloc(32, 1))]]));
    malformed(alteredCose(credential('EdDSA').coseEntries, [[-4, bstr(Buffer.alloc(32, 1))]]));
    malformed(alteredCose(credential('RS256').coseEntries, [[-3, bstr(Buffer.alloc(256, 1))]]));
  });

  it('weak, broken or oversized RSA keys', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    malformed(encode(coseEntriesOf(small.publicKey, -257)));
    const rsa = credential('RS256').coseEntries;
    malformed(alteredCose(rsa, [[-2, bstr(Buffer.of(1, 0, 0))]]));
    malformed(alteredCose(rsa, [[-2, bstr(Buffer.of(1))]]));
    malformed(alteredCose(rsa, [[-2, bstr(Buffer.of(1, 0, 0, 0, 1))]]));
    malformed(alteredCose(rsa, [[-2, bstr(Buffer.alloc(0))]]));
    malformed(alteredCose(rsa, [[-1, bstr(Buffer.alloc(256))]]));
    malformed(alteredCose(rsa, [[-1, bstr(Buffer.alloc(1025, 0xff))]]));
    malformed(alteredCose(rsa, [[-1, 'n']]));
  });
});

describe('verifyWithAlgorithm (attestation statements signed by certificate keys)', () => {
  it('verifies each algorithm with a key of its type', () => {
    for (const name of NAMES) {
      const made = credential(name);
      expect(verifyWithAlgorithm(made.alg, made.publicKey, DATA, made.sign(DATA)), name).toBe(true);
      expect(verifyWithAlgorithm(made.alg, made.publicKey, Buffer.from('x'), made.sign(DATA)), name).toBe(false);
    }
  });

  it('does not verify with a key of another type than the algorithm (no RSA PKCS#1 under ES256)', () => {
    const rsa = credential('RS256');
    const rsaSignature = rsa.sign(DATA);
    expect(verifyWithAlgorithm(-257, rsa.publicKey, DATA, rsaSignature)).toBe(true);
    expect(verifyWithAlgorithm(-7, rsa.publicKey, DATA, rsaSignature)).toBe(false);
    expect(verifyWithAlgorithm(-8, rsa.publicKey, DATA, rsaSignature)).toBe(false);
    const ec = credential('ES256');
    expect(verifyWithAlgorithm(-257, ec.publicKey, DATA, ec.sign(DATA))).toBe(false);
    expect(verifyWithAlgorithm(-8, ec.publicKey, DATA, ec.sign(DATA))).toBe(false);
  });

  it('verifies PS256 with an RSASSA-PSS certificate key, and refuses RS256 with one', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const signature = sign('sha256', DATA, {
      key: pss.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    expect(verifyWithAlgorithm(-37, pss.publicKey, DATA, signature)).toBe(true);
    expect(verifyWithAlgorithm(-257, pss.publicKey, DATA, signature)).toBe(false);
  });

  it('leaves the ECDSA curve to the certificate (ES256 alg, P-384 certificate key)', () => {
    const p384 = credential('ES384');
    expect(verifyWithAlgorithm(-7, p384.publicKey, DATA, sign('sha256', DATA, p384.privateKey))).toBe(true);
  });

  it('refuses an unknown algorithm with COSE_ALGORITHM_UNSUPPORTED', () => {
    const ec = credential('ES256');
    expectRejection(
      () => verifyWithAlgorithm(-47, ec.publicKey, DATA, ec.sign(DATA)),
      'CONTENT',
      'COSE_ALGORITHM_UNSUPPORTED',
    );
  });
});
