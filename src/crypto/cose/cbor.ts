import { decode } from 'cbor2';
import { contentError, type ErrorCode } from '../../errors.js';

/** Default nesting bound for COSE structures: a COSE_Sign1 with an x5chain array nests four deep. */
export const COSE_MAX_DEPTH = 16;

/**
 * Decodes one CBOR item with cbor2, strictly: definite lengths, no duplicate map keys, tags left
 * as cbor2 Tag objects (no global tag decoders), maps as Map, bounded depth. With `saveOriginal`,
 * arrays, maps and tags remember their exact encoding (cbor2 `getEncoded`), which is what
 * ISO 18013-5 digests and signatures are over. Any failure is a CONTENT error with `code`.
 *
 * Byte strings come back as Buffer views of `bytes`: convert them (`plainBytes`) before handing
 * them to cbor2's encoder, which writes a Buffer as a JSON-like map.
 */
export function decodeStrictCbor(
  bytes: Uint8Array,
  code: ErrorCode,
  what: string,
  options: { maxDepth?: number; saveOriginal?: boolean } = {},
): unknown {
  try {
    return decode(bytes, {
      preferMap: true,
      ignoreGlobalTags: true,
      rejectDuplicateKeys: true,
      rejectStreaming: true,
      maxDepth: options.maxDepth ?? COSE_MAX_DEPTH,
      saveOriginal: options.saveOriginal ?? false,
    });
  } catch (error) {
    throw contentError(code, `The ${what} is malformed.`, { detail: `CBOR: ${(error as Error).message}` });
  }
}

/** A plain Uint8Array with the same bytes (cbor2 encodes a Buffer as a map, not a bstr). */
export const plainBytes = (bytes: Uint8Array): Uint8Array =>
  bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
