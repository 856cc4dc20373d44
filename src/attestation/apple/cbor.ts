import { decode } from 'cbor2';
import { contentError, type ErrorCode } from '../../errors.js';

/** App Attest objects nest three levels deep (object → attStmt → x5c); anything much deeper is hostile. */
const MAX_DEPTH = 8;

/**
 * Decodes one CBOR item from a device. Definite lengths only, no duplicate map keys, tags left
 * undecoded, bounded depth; maps always come back as Map. Any failure is a CONTENT error with `code`.
 */
export function decodeCbor(bytes: Uint8Array, code: ErrorCode, what: string): unknown {
  try {
    return decode(bytes, {
      maxDepth: MAX_DEPTH,
      preferMap: true,
      ignoreGlobalTags: true,
      rejectDuplicateKeys: true,
      rejectStreaming: true,
    });
  } catch (error) {
    throw contentError(code, `The ${what} is malformed.`, { detail: `CBOR: ${(error as Error).message}` });
  }
}

/**
 * The byte length of the CBOR item that starts at `offset`, without decoding it: authenticator
 * data concatenates a COSE key and optional extensions with no length prefix, so the key's end
 * has to be found by walking its structure. Definite lengths only.
 */
export function cborItemLength(bytes: Uint8Array, offset: number, code: ErrorCode, depth = 0): number {
  const fail = (detail: string) =>
    contentError(code, 'The authenticator data is malformed.', { detail: `CBOR item: ${detail}` });
  if (depth > MAX_DEPTH) throw fail('nested too deeply');
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
      return position + cborItemLength(bytes, position, code, depth + 1) - offset;
    default: {
      // Arrays hold `argument` items, maps twice as many; each item takes at least one byte, so a huge count fails on bounds quickly.
      const items = major === 4 ? argument : argument * 2;
      for (let index = 0; index < items; index++) position += cborItemLength(bytes, position, code, depth + 1);
      return position - offset;
    }
  }
}
