import { encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { BerReader } from '../../src/crypto/asn1/ber.js';
import { cborItemLength } from '../../src/attestation/apple/cbor.js';
import { TagClass } from '../../src/crypto/asn1/der.js';
import { expectRejection } from '../helpers/outcome.js';

describe('CBOR item length (finding the end of a COSE key in authenticator data)', () => {
  it('measures items of every major type as cbor2 encodes them', () => {
    const items: unknown[] = [0, 23, 24, 65_536, -1, -1_000_000, new Uint8Array(300), 'text', [1, [2, 3]], new Map<unknown, unknown>([[1, 'a'], [-2, new Uint8Array(32)]]), 1.5, true, null];
    for (const item of items) {
      const encoded = encode(item);
      const padded = new Uint8Array([...encoded, 0xff, 0xff]);
      expect(cborItemLength(padded, 0, 'APPLE_ATTESTATION_MALFORMED'), String(item)).toBe(encoded.length);
    }
  });

  it('rejects truncated items, indefinite lengths and excessive nesting', () => {
    expectRejection(() => cborItemLength(encode(new Uint8Array(40)).subarray(0, 20), 0, 'APPLE_ATTESTATION_MALFORMED'), 'CONTENT', 'APPLE_ATTESTATION_MALFORMED');
    expectRejection(() => cborItemLength(Uint8Array.of(0x5f, 0x41, 0x00, 0xff), 0, 'APPLE_ATTESTATION_MALFORMED'), 'CONTENT', 'APPLE_ATTESTATION_MALFORMED');
    expectRejection(() => cborItemLength(new Uint8Array(50).fill(0x81), 0, 'APPLE_ATTESTATION_MALFORMED'), 'CONTENT', 'APPLE_ATTESTATION_MALFORMED');
    expectRejection(() => cborItemLength(Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0, 'APPLE_ATTESTATION_MALFORMED'), 'CONTENT', 'APPLE_ATTESTATION_MALFORMED');
  });
});

describe('BER reader (App Attest receipts)', () => {
  it('reads indefinite lengths and joins chunked OCTET STRINGs', () => {
    // SEQUENCE (indefinite) { [0] (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "cd" } }, INTEGER 5 }
    const ber = Buffer.from('3080' + 'a080' + '2480' + '04026162' + '04026364' + '0000' + '0000' + '020105' + '0000', 'hex');
    const outer = new BerReader(ber, 'RECEIPT_MALFORMED');
    const sequence = outer.sequence('outer');
    outer.end('outer');
    const explicit = sequence.enter(sequence.expect(TagClass.Context, 0, 'explicit'), 'explicit');
    expect(Buffer.from(explicit.octetString('chunks')).toString()).toBe('abcd');
    expect(sequence.smallInteger('number')).toBe(5);
    sequence.end('outer');
  });

  it('rejects unterminated indefinite lengths, primitive indefinite lengths and overruns', () => {
    for (const hex of ['3080020105', '0480', '3005020105', '30']) {
      expectRejection(() => new BerReader(Buffer.from(hex, 'hex'), 'RECEIPT_MALFORMED').sequence('x'), 'CONTENT', 'RECEIPT_MALFORMED');
    }
  });
});
