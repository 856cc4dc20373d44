/**
 * The to-be-signed and to-be-MACed structures of RFC 9052 §4.4 and §6.3:
 * [context, body_protected bstr, external_aad bstr, payload bstr], written directly (a fixed
 * shape: a four-item array, one text string and three byte strings), no CBOR library needed.
 */
export function coseToBeProcessed(
  context: 'Signature1' | 'MAC0',
  protectedBytes: Uint8Array,
  externalAad: Uint8Array,
  payload: Uint8Array,
): Buffer {
  const contextBytes = Buffer.from(context, 'ascii');
  return Buffer.concat([
    Buffer.of(0x84),
    head(3, contextBytes.length),
    contextBytes,
    head(2, protectedBytes.length),
    protectedBytes,
    head(2, externalAad.length),
    externalAad,
    head(2, payload.length),
    payload,
  ]);
}

/** The shortest CBOR head of major type `major` with argument `length` (below 2^32). */
export function head(major: number, length: number): Buffer {
  const type = major << 5;
  if (length < 24) return Buffer.of(type | length);
  if (length < 0x100) return Buffer.of(type | 24, length);
  if (length < 0x10000) return Buffer.of(type | 25, length >> 8, length & 0xff);
  if (length <= 0xffffffff) {
    const out = Buffer.alloc(5);
    out[0] = type | 26;
    out.writeUInt32BE(length, 1);
    return out;
  }
  throw new RangeError('CBOR item too long');
}
