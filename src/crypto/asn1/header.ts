/** The identifier and length octets of one element (X.690 §8.1.2, §8.1.3), read in place. */
export interface ElementHeader {
  /** The identifier octet: class in bits 8–7, constructed in bit 6. */
  first: number;
  tag: number;
  /** Where the content starts. */
  contentStart: number;
  /** Content length; -1 for the indefinite form (BER, constructed elements only). */
  length: number;
}

const header: ElementHeader = { first: 0, tag: 0, contentStart: 0, length: 0 };

/**
 * The core the DER and BER readers share. With `der`, DER's rules hold: minimal tag numbers and
 * lengths, definite lengths only; otherwise BER's non-minimal forms and, on constructed
 * elements, the indefinite length are accepted. The content must lie within `limit` (for an
 * indefinite length the caller finds the end). Returns one shared object, valid until the next
 * call: both readers are synchronous and copy what they keep, and no allocation is made per
 * element on the hot path (hence, too, the reader passed for its `fail` rather than a closure).
 */
export function readHeader(
  input: Uint8Array,
  start: number,
  limit: number,
  der: boolean,
  reader: { fail(detail: string): Error },
): ElementHeader {
  if (start >= limit) throw reader.fail('unexpected end of data');
  const first = input[start]!;
  let position = start + 1;
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let count = 0; ; count++) {
      if (position >= limit) throw reader.fail('truncated tag');
      const byte = input[position++]!;
      if (der && count === 0 && byte === 0x80) throw reader.fail('non-minimal tag number');
      if (count >= 4) throw reader.fail('tag number too large');
      tag = tag * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) break;
    }
    if (der && tag < 0x1f) throw reader.fail('non-minimal tag number');
  }
  if (position >= limit) throw reader.fail('truncated length');
  let length = input[position++]!;
  if (length === 0x80) {
    if (der) throw reader.fail('indefinite length');
    if ((first & 0x20) === 0) throw reader.fail('indefinite length on a primitive element');
    length = -1;
  } else if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4) throw reader.fail('length too large');
    if (position + count > limit) throw reader.fail('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[position++]!;
    if (der && (length < 0x80 || input[position - count] === 0)) throw reader.fail('non-minimal length');
  }
  if (length > 0 && position + length > limit) throw reader.fail('content runs past the end');
  header.first = first;
  header.tag = tag;
  header.contentStart = position;
  header.length = length;
  return header;
}
