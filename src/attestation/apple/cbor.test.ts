import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { cborItemLength } from './cbor.js';
import { expectRejection } from '../../../test/helpers/outcome.js';

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
