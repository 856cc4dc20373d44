import { encode } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectRejection } from '../../../test/helpers/outcome.js';
import { authenticatorData, credential, RP_ID, sha256 } from '../../../test/webauthn/credentials.js';
import { KeywardError } from '../../errors.js';
import { parseAuthenticatorData } from './authenticator-data.js';
import { FLAGS } from './types.js';

const { UP, UV, BE, BS, AT, ED } = FLAGS;
const cose = () => credential('ES256').cose;
const extensions = encode(new Map<string, unknown>([['credProtect', 2]]));
const malformed = (bytes: Uint8Array) =>
  expectRejection(() => parseAuthenticatorData(bytes), 'CONTENT', 'AUTHENTICATOR_DATA_MALFORMED');

describe('parseAuthenticatorData', () => {
  it('reads the header of an assertion: rpIdHash, flags and the unsigned big-endian counter', () => {
    const bytes = authenticatorData({ flags: UP | UV | BE | BS, counter: 0xfedcba98 });
    const parsed = parseAuthenticatorData(bytes);
    expect(parsed.raw).toBe(bytes);
    expect(Buffer.from(parsed.rpIdHash)).toEqual(sha256(Buffer.from(RP_ID)));
    expect(parsed.rpIdHash.buffer).toBe(bytes.buffer);
    expect(parsed.flags).toBe(UP | UV | BE | BS);
    expect(parsed.counter).toBe(0xfedcba98);
    expect(parsed.attested).toBeUndefined();
    expect(parsed.extensions).toBeUndefined();
  });

  it('reads attested credential data: aaguid, credentialId and the COSE key, as views of the input', () => {
    const aaguid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const credentialId = Buffer.alloc(1023, 0x5c);
    const bytes = authenticatorData({ flags: UP | AT, counter: 1, aaguid, credentialId, publicKey: cose() });
    const { attested } = parseAuthenticatorData(bytes);
    expect(Buffer.from(attested!.aaguid)).toEqual(aaguid);
    expect(Buffer.from(attested!.credentialId)).toEqual(credentialId);
    expect(Buffer.from(attested!.publicKeyBytes)).toEqual(Buffer.from(cose()));
    expect(attested!.publicKeyBytes.buffer).toBe(bytes.buffer);
    expect(attested!.publicKey.alg).toBe(-7);
    expect(attested!.publicKey.key.equals(credential('ES256').publicKey)).toBe(true);
  });

  it('reads every algorithm’s key from attested credential data', () => {
    for (const name of ['ES384', 'ES512', 'EdDSA', 'RS256', 'PS512', 'RS1'] as const) {
      const made = credential(name);
      const { attested } = parseAuthenticatorData(authenticatorData({ flags: UP | AT, publicKey: made.cose }));
      expect(attested!.publicKey.alg, name).toBe(made.alg);
    }
  });

  it('decodes extensions after attested credential data, and alone', () => {
    const both = parseAuthenticatorData(
      authenticatorData({ flags: UP | AT | ED, publicKey: cose(), suffix: extensions }),
    );
    expect(both.attested).toBeDefined();
    expect(both.extensions).toEqual(new Map([['credProtect', 2]]));
    const alone = parseAuthenticatorData(authenticatorData({ flags: UP | ED, suffix: extensions }));
    expect(alone.attested).toBeUndefined();
    expect(alone.extensions).toEqual(new Map([['credProtect', 2]]));
  });

  it('refuses data shorter than the header', () => {
    malformed(new Uint8Array(0));
    malformed(authenticatorData({ flags: UP }).subarray(0, 36));
  });

  it('refuses bytes the flags do not announce', () => {
    // AT clear, yet attested credential data follows (or any byte).
    malformed(authenticatorData({ flags: UP, publicKey: cose() }));
    malformed(authenticatorData({ flags: UP, suffix: Buffer.of(0) }));
    // ED clear, yet extensions follow the key.
    malformed(authenticatorData({ flags: UP | AT, publicKey: cose(), suffix: extensions }));
    malformed(authenticatorData({ flags: UP | AT, publicKey: cose(), suffix: Buffer.of(0) }));
    // ED set, then two items, or a trailing byte after the map.
    malformed(authenticatorData({ flags: UP | ED, suffix: Buffer.concat([extensions, extensions]) }));
    malformed(
      authenticatorData({ flags: UP | AT | ED, publicKey: cose(), suffix: Buffer.concat([extensions, Buffer.of(0)]) }),
    );
  });

  it('refuses flags that announce what is not there', () => {
    malformed(authenticatorData({ flags: UP | AT }));
    malformed(authenticatorData({ flags: UP | ED }));
    malformed(authenticatorData({ flags: UP | AT | ED, publicKey: cose() }));
  });

  it('refuses truncated attested credential data at every length', () => {
    const full = authenticatorData({ flags: UP | AT, publicKey: cose() });
    for (let length = 37; length < full.length; length++) {
      const error = expectRejection(
        () => parseAuthenticatorData(full.subarray(0, length)),
        'CONTENT',
        'AUTHENTICATOR_DATA_MALFORMED',
      );
      expect(error.detail, `length ${length}`).toBeTruthy();
    }
  });

  it('refuses an empty credential id, and one over 1023 bytes with its own code', () => {
    malformed(authenticatorData({ flags: UP | AT, credentialId: new Uint8Array(0), publicKey: cose() }));
    expectRejection(
      () =>
        parseAuthenticatorData(
          authenticatorData({ flags: UP | AT, credentialId: Buffer.alloc(1024), publicKey: cose() }),
        ),
      'CONTENT',
      'CREDENTIAL_ID_TOO_LONG',
    );
  });

  it('refuses extension data that is not a map or not CBOR', () => {
    malformed(authenticatorData({ flags: UP | ED, suffix: encode([1, 2]) }));
    malformed(authenticatorData({ flags: UP | ED, suffix: Buffer.of(0xbf, 0x01, 0x02, 0xff) }));
    malformed(authenticatorData({ flags: UP | ED, suffix: Buffer.of(0xa1, 0x61) }));
  });

  it('passes a bad credential key on with the COSE codes', () => {
    expectRejection(
      () => parseAuthenticatorData(authenticatorData({ flags: UP | AT, publicKey: encode(new Map([[1, 2]])) })),
      'CONTENT',
      'COSE_KEY_MALFORMED',
    );
    expectRejection(
      () =>
        parseAuthenticatorData(
          authenticatorData({
            flags: UP | AT,
            publicKey: encode(
              new Map([
                [1, 2],
                [3, -47],
              ]),
            ),
          }),
        ),
      'CONTENT',
      'COSE_ALGORITHM_UNSUPPORTED',
    );
  });

  it('throws nothing but KeywardErrors on random and mutated bytes', () => {
    const valid = authenticatorData({ flags: UP | AT | ED, publicKey: cose(), suffix: extensions });
    const withFlags = fc.tuple(fc.uint8Array({ minLength: 37, maxLength: 200 }), fc.nat(255)).map(([bytes, flags]) => {
      bytes[32] = flags;
      return bytes;
    });
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.nat(255), fc.nat(valid.length)).map(([at, value, cut]) => {
      const bytes = Buffer.from(valid);
      bytes[at] = value;
      return bytes.subarray(0, cut);
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), withFlags, mutated), (bytes) => {
        try {
          parseAuthenticatorData(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(KeywardError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
