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

/**
 * canonicalCbor's fast path: integers within ±2^53, text, plain byte strings, arrays, Maps and
 * plain objects, tags, booleans, null and RawCbor, written directly (cbor2 allocates a fresh
 * buffer per call and encodes every map key on its own first, which made issuing an mdoc cost
 * milliseconds). Anything else (floats, bigints, Buffers, undefined, other classes) returns
 * undefined and the whole value goes through cbor2 instead, so both paths give the same bytes;
 * the tests compare them.
 */
class FastWriter {
  private chunks: Uint8Array[] = [];
  length = 0;

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  head(major: number, value: number): void {
    const type = major << 5;
    if (value < 24) this.push(Uint8Array.of(type | value));
    else if (value < 0x100) this.push(Uint8Array.of(type | 24, value));
    else if (value < 0x10000) this.push(Uint8Array.of(type | 25, value >> 8, value & 0xff));
    else if (value < 0x100000000) {
      const bytes = new Uint8Array(5);
      bytes[0] = type | 26;
      new DataView(bytes.buffer).setUint32(1, value);
      this.push(bytes);
    } else {
      const bytes = new Uint8Array(9);
      bytes[0] = type | 27;
      new DataView(bytes.buffer).setBigUint64(1, BigInt(value));
      this.push(bytes);
    }
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

const textEncoder = new TextEncoder();

/** Length-first, then bytewise (RFC 7049 §3.9). */
function compareKeys(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Writes `value`; false when it holds something only cbor2 writes. */
function writeFast(writer: FastWriter, value: unknown): boolean {
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) return false;
      if (value >= 0) writer.head(0, value);
      else writer.head(1, -1 - value);
      return true;
    case 'string': {
      const bytes = textEncoder.encode(value);
      writer.head(3, bytes.length);
      writer.push(bytes);
      return true;
    }
    case 'boolean':
      writer.push(Uint8Array.of(value ? 0xf5 : 0xf4));
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    writer.push(Uint8Array.of(0xf6));
    return true;
  }
  if (value instanceof Uint8Array) {
    if (value.constructor !== Uint8Array) return false;
    writer.head(2, value.length);
    writer.push(value);
    return true;
  }
  if (value instanceof RawCbor) {
    writer.push(value.bytes);
    return true;
  }
  if (Array.isArray(value)) {
    writer.head(4, value.length);
    return value.every((item) => writeFast(writer, item));
  }
  if (value instanceof Tag) {
    if (typeof value.tag !== 'number' || !Number.isSafeInteger(value.tag) || value.tag < 0) return false;
    writer.head(6, value.tag);
    return writeFast(writer, value.contents);
  }
  const entries =
    value instanceof Map
      ? [...value.entries()]
      : Object.getPrototypeOf(value) === Object.prototype
        ? Object.entries(value)
        : undefined;
  if (!entries) return false;
  const encoded: [Uint8Array, Uint8Array][] = [];
  for (const [key, item] of entries) {
    const keyWriter = new FastWriter();
    const itemWriter = new FastWriter();
    if (!writeFast(keyWriter, key) || !writeFast(itemWriter, item)) return false;
    encoded.push([keyWriter.bytes(), itemWriter.bytes()]);
  }
  encoded.sort(([a], [b]) => compareKeys(a, b));
  for (let i = 1; i < encoded.length; i++) if (compareKeys(encoded[i - 1]![0], encoded[i]![0]) === 0) return false; // cbor2 names the duplicate
  writer.head(5, encoded.length);
  for (const [key, item] of encoded) {
    writer.push(key);
    writer.push(item);
  }
  return true;
}

/** The same encoding by cbor2 alone: the reference the fast path is tested against, and its fallback. */
export const cbor2Canonical = (value: unknown): Uint8Array => encode(value, CANONICAL);

export function canonicalCbor(value: unknown): Uint8Array {
  const writer = new FastWriter();
  return writeFast(writer, value) ? writer.bytes() : cbor2Canonical(value);
}

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
