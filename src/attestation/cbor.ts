import { decode } from 'cbor2';
import { contentError, type ErrorCode } from '../errors.js';

/**
 * Default nesting bound. App Attest objects nest three levels deep (object → attStmt → x5c) and
 * WebAuthn attestation objects no deeper; anything much deeper is hostile.
 */
export const MAX_CBOR_DEPTH = 8;

const CBOR2_OPTIONS = {
  preferMap: true,
  ignoreGlobalTags: true,
  rejectDuplicateKeys: true,
  rejectStreaming: true,
} as const;

/**
 * Decodes one CBOR item from a device. Definite lengths only, no duplicate map keys, tags left
 * undecoded, bounded depth; maps always come back as Map, byte strings as views of `bytes`. Any
 * failure is a CONTENT error with `code`.
 *
 * Device CBOR is almost always plain maps, arrays, integers and strings: those are read by a
 * small decoder here, because cbor2 costs about 40 µs per call whatever the size, as much as a
 * signature check. Anything else (tags, floats, other simple values, large integers), and any
 * input the small decoder would refuse, goes to cbor2, which alone decides what is accepted.
 */
export function decodeCbor(bytes: Uint8Array, code: ErrorCode, what: string, maxDepth = MAX_CBOR_DEPTH): unknown {
  const fast = decodePlainCbor(bytes, maxDepth);
  if (fast !== NOT_PLAIN) return fast;
  try {
    return decode(bytes, { ...CBOR2_OPTIONS, maxDepth });
  } catch (error) {
    throw contentError(code, `The ${what} is malformed.`, { detail: `CBOR: ${(error as Error).message}` });
  }
}

/** Returned by the plain decoder for input it leaves to cbor2. */
const NOT_PLAIN: unique symbol = Symbol('not plain CBOR');

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Thrown inside the plain decoder; caught at its entry. */
class NotPlain extends Error {}
const notPlain = new NotPlain();

/**
 * The plain subset: unsigned and negative integers up to 2^53, byte and text strings, arrays,
 * maps with integer or text keys, false, true and null, all of definite length. Depth counts as
 * cbor2 counts it (array items two levels down, map entries one), so the two agree on every
 * input this accepts.
 */
function decodePlainCbor(bytes: Uint8Array, maxDepth: number): unknown {
  let position = 0;

  const argument = (info: number): number => {
    if (info < 24) return info;
    let size: number;
    if (info === 24) size = 1;
    else if (info === 25) size = 2;
    else if (info === 26) size = 4;
    else if (info === 27) size = 8;
    else throw notPlain;
    if (position + size > bytes.length) throw notPlain;
    let value = 0;
    for (let index = 0; index < size; index++) value = value * 256 + bytes[position + index]!;
    position += size;
    if (value > Number.MAX_SAFE_INTEGER) throw notPlain;
    return value;
  };

  const item = (level: number): unknown => {
    if (level > maxDepth || position >= bytes.length) throw notPlain;
    const initial = bytes[position++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return argument(info);
      case 1:
        return -1 - argument(info);
      case 2:
      case 3: {
        const length = argument(info);
        if (position + length > bytes.length) throw notPlain;
        const start = position;
        position += length;
        if (major === 2) return bytes.subarray(start, position);
        try {
          return utf8.decode(bytes.subarray(start, position));
        } catch {
          throw notPlain;
        }
      }
      case 4: {
        const count = argument(info);
        // Each item takes at least one byte: a count beyond what is left cannot be satisfied.
        if (count > bytes.length - position) throw notPlain;
        const array: unknown[] = new Array(count);
        for (let index = 0; index < count; index++) array[index] = item(level + 2);
        return array;
      }
      case 5: {
        const count = argument(info);
        if (count * 2 > bytes.length - position) throw notPlain;
        const map = new Map<unknown, unknown>();
        for (let index = 0; index < count; index++) {
          const key = item(level + 1);
          if ((typeof key !== 'number' && typeof key !== 'string') || map.has(key)) throw notPlain;
          map.set(key, item(level + 1));
        }
        return map;
      }
      case 7:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw notPlain;
      default:
        throw notPlain;
    }
  };

  try {
    const value = item(0);
    return position === bytes.length ? value : NOT_PLAIN;
  } catch (error) {
    if (error === notPlain) return NOT_PLAIN;
    throw error;
  }
}

/**
 * The byte length of the CBOR item that starts at `offset`, without decoding it: authenticator
 * data concatenates a COSE key and optional extensions with no length prefix, so the key's end
 * has to be found by walking its structure. Definite lengths only.
 */
export function cborItemLength(bytes: Uint8Array, offset: number, code: ErrorCode, maxDepth = MAX_CBOR_DEPTH): number {
  const fail = (detail: string) =>
    contentError(code, 'The authenticator data is malformed.', { detail: `CBOR item: ${detail}` });
  const measure = (offset: number, depth: number): number => {
    if (depth > maxDepth) throw fail('nested too deeply');
    if (offset >= bytes.length) throw fail('truncated');
    const initial = bytes[offset]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let argument: number;
    let position = offset + 1;
    if (info < 24) {
      argument = info;
    } else if (info <= 27) {
      const size = 1 << (info - 24);
      if (position + size > bytes.length) throw fail('truncated head');
      argument = 0;
      for (let index = 0; index < size; index++) argument = argument * 256 + bytes[position + index]!;
      position += size;
    } else {
      throw fail(info === 31 ? 'indefinite length' : 'reserved additional information');
    }
    switch (major) {
      case 0:
      case 1:
      case 7:
        return position - offset;
      case 2:
      case 3:
        if (position + argument > bytes.length) throw fail('string runs past the end');
        return position + argument - offset;
      case 6:
        return position + measure(position, depth + 1) - offset;
      default: {
        // Arrays hold `argument` items, maps twice as many; each item takes at least one byte, so a huge count fails on bounds quickly.
        const items = major === 4 ? argument : argument * 2;
        for (let index = 0; index < items; index++) position += measure(position, depth + 1);
        return position - offset;
      }
    }
  };
  return measure(offset, 0);
}
