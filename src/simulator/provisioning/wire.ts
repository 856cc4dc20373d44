import { encode, Tag } from 'cbor2';
import { decodeStrictCbor } from '../../crypto/cose/cbor.js';

/**
 * CBOR as the simulated holder app writes and reads it. The Android app builds its messages with
 * a CBOR builder that keeps fields in insertion order (not canonical), so requests are encoded in
 * the order written here; replies are decoded strictly with tags left as cbor2 Tags and byte
 * strings as plain Uint8Arrays (so they can be written back unchanged: cbor2 writes a Buffer as
 * a map).
 */

/** `value` with every Buffer turned into a plain Uint8Array view, recursively. */
export function plainCbor(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) return value.map(plainCbor);
  if (value instanceof Map) return new Map([...value].map(([key, item]) => [plainCbor(key), plainCbor(item)]));
  if (value instanceof Tag) return new Tag(value.tag, plainCbor(value.contents));
  return value;
}

/** Encodes in insertion order, as the app's CBOR builder does. */
export const encodeInOrder = (value: unknown): Uint8Array => encode(plainCbor(value));

/** Decodes one reply (or any CBOR the holder receives) into plain values. */
export const decodePlain = (bytes: Uint8Array, what: string): unknown =>
  plainCbor(decodeStrictCbor(bytes, 'PROVISIONING_MALFORMED_CBOR', what, { maxDepth: 32 }));
