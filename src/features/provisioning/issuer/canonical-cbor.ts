import { encode, Tag, type EncodeOptions, type Writer } from 'cbor2';
import { sortLengthFirstDeterministic } from 'cbor2/sorts';

/**
 * The canonical CBOR of what the issuer signs (ISO 18013-5 §8.1 / RFC 7049 §3.9, as the holder
 * re-encodes items when presenting): shortest heads and lengths, definite lengths, and map keys
 * in length-first order — shorter encoded keys first, equal lengths bytewise. cbor2's `cde`
 * preset sorts keys bytewise (RFC 8949 §4.2.1): the same order for text keys, but not for mixed
 * integer keys (1000 before -1), so the length-first sorter replaces it.
 */
const CANONICAL: EncodeOptions = {
  cde: true,
  sortKeys: sortLengthFirstDeterministic,
  rejectUndefined: true,
  rejectDuplicateKeys: true,
  simplifyNegativeZero: true,
};

export const canonicalCbor = (value: unknown): Uint8Array => encode(value, CANONICAL);

/** CBOR tag 24: an embedded CBOR data item, `#6.24(bstr .cbor …)`. */
export const ENCODED_CBOR_TAG = 24;

/** `#6.24(bytes)`: the tag-24 wrapping of already encoded CBOR. */
export const embeddedCbor = (bytes: Uint8Array): Tag => new Tag(ENCODED_CBOR_TAG, bytes);

/** Bytes written into a larger structure exactly as they are (a signed COSE_Sign1, never re-encoded). */
export class RawCbor {
  constructor(readonly bytes: Uint8Array) {}

  toCBOR(writer: Writer): undefined {
    writer.write(this.bytes);
    return undefined;
  }
}
