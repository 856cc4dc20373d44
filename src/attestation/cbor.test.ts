import { decode, encode, Tag } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywardError } from '../errors.js';
import { cborItemLength, decodeCbor, MAX_CBOR_DEPTH } from './cbor.js';
import { expectRejection } from '../../test/helpers/outcome.js';

describe('CBOR item length (finding the end of a COSE key in authenticator data)', () => {
  it('measures items of every major type as cbor2 encodes them', () => {
    const items: unknown[] = [
      0,
      23,
      24,
      65_536,
      -1,
      -1_000_000,
      new Uint8Array(300),
      'text',
      [1, [2, 3]],
      new Map<unknown, unknown>([
        [1, 'a'],
        [-2, new Uint8Array(32)],
      ]),
      1.5,
      true,
      null,
    ];
    for (const item of items) {
      const encoded = encode(item);
      const padded = new Uint8Array([...encoded, 0xff, 0xff]);
      expect(cborItemLength(padded, 0, 'APPLE_ATTESTATION_MALFORMED'), String(item)).toBe(encoded.length);
    }
  });

  it('rejects truncated items, indefinite lengths and excessive nesting', () => {
    expectRejection(
      () => cborItemLength(encode(new Uint8Array(40)).subarray(0, 20), 0, 'APPLE_ATTESTATION_MALFORMED'),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    expectRejection(
      () => cborItemLength(Uint8Array.of(0x5f, 0x41, 0x00, 0xff), 0, 'APPLE_ATTESTATION_MALFORMED'),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    expectRejection(
      () => cborItemLength(new Uint8Array(50).fill(0x81), 0, 'APPLE_ATTESTATION_MALFORMED'),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    expectRejection(
      () =>
        cborItemLength(
          Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
          0,
          'APPLE_ATTESTATION_MALFORMED',
        ),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
  });
});

describe('CBOR decoding (the plain fast path agrees with cbor2)', () => {
  const options = {
    maxDepth: MAX_CBOR_DEPTH,
    preferMap: true,
    ignoreGlobalTags: true,
    rejectDuplicateKeys: true,
    rejectStreaming: true,
  };
  /** cbor2's answer, or the fact that it refuses. */
  const reference = (bytes: Uint8Array): { value: unknown } | 'refused' => {
    try {
      return { value: decode(bytes, options) };
    } catch {
      return 'refused';
    }
  };
  const ours = (bytes: Uint8Array): { value: unknown } | 'refused' => {
    try {
      return { value: decodeCbor(bytes, 'APPLE_ATTESTATION_MALFORMED', 'test item') };
    } catch (error) {
      expect(error).toBeInstanceOf(KeywardError);
      return 'refused';
    }
  };

  const plainValue = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: -(2 ** 53), max: 2 ** 53 - 1 }),
      fc.maxSafeInteger(),
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.constantFrom(true, false, null),
      fc.double(),
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
      fc.constant(undefined),
      tie('array'),
      tie('map'),
    ),
    array: fc.array(tie('value'), { maxLength: 4 }),
    map: fc
      .array(fc.tuple(fc.oneof(fc.integer({ min: -300, max: 300 }), fc.string({ maxLength: 6 })), tie('value')), {
        maxLength: 4,
      })
      .map((entries) => new Map(entries)),
  })).value;

  it('decodes what cbor2 encodes exactly as cbor2 decodes it', () => {
    fc.assert(
      fc.property(plainValue, (value) => {
        const bytes = encode(value);
        expect(ours(bytes)).toEqual(reference(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts and refuses the same random and mutated bytes as cbor2', () => {
    const mutated = fc.tuple(plainValue, fc.nat(), fc.nat(255), fc.boolean()).map(([value, at, byte, truncate]) => {
      const bytes = Uint8Array.from(encode(value));
      const index = at % bytes.length;
      if (truncate) return bytes.subarray(0, index);
      bytes[index] = byte;
      return bytes;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        expect(ours(bytes)).toEqual(reference(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('leaves to cbor2 what it does not read itself, and cbor2 still refuses what it should', () => {
    // Same key encoded twice (refused), an indefinite-length string (refused), trailing bytes (refused).
    expectRejection(
      () => decodeCbor(Uint8Array.of(0xa2, 0x01, 0x01, 0x01, 0x02), 'APPLE_ATTESTATION_MALFORMED', 'map'),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    expectRejection(
      () => decodeCbor(Uint8Array.of(0x5f, 0x41, 0x00, 0xff), 'APPLE_ATTESTATION_MALFORMED', 'string'),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    expectRejection(
      () => decodeCbor(Uint8Array.of(0x01, 0x00), 'APPLE_ATTESTATION_MALFORMED', 'integer'),
      'CONTENT',
      'APPLE_ATTESTATION_MALFORMED',
    );
    // A tag and a float come back as cbor2 gives them: the tag undecoded.
    const decoded = decodeCbor(
      encode(
        new Map<number, unknown>([
          [1, 1.5],
          [2, new Tag(1, 5)],
        ]),
      ),
      'APPLE_ATTESTATION_MALFORMED',
      'map',
    ) as Map<number, unknown>;
    expect(decoded.get(1)).toBe(1.5);
    expect(decoded.get(2)).toBeInstanceOf(Tag);
    expect((decoded.get(2) as Tag).contents).toBe(5);
  });

  it('honours the depth bound, counting as cbor2 does, and takes another bound when given', () => {
    let nested: unknown = 0;
    for (let level = 0; level < 5; level++) nested = [nested];
    const bytes = encode(nested);
    expect(ours(bytes)).toEqual(reference(bytes));
    expect(ours(bytes)).toBe('refused');
    expect(decodeCbor(bytes, 'APPLE_ATTESTATION_MALFORMED', 'array', 10)).toEqual(nested);
  });

  it('returns byte strings as views of the input, without copying', () => {
    const bytes = encode(new Map([['authData', new Uint8Array(64).fill(7)]]));
    const map = decodeCbor(bytes, 'APPLE_ATTESTATION_MALFORMED', 'map') as Map<string, Uint8Array>;
    expect(map.get('authData')!.buffer).toBe(bytes.buffer);
  });
});
