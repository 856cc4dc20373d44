/** Minimal DER encoding for structures Keyward builds itself (simulated attestation records, test data). */

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tagBytes(tagClass: number, constructed: boolean, tag: number): Buffer {
  const first = (tagClass << 6) | (constructed ? 0x20 : 0);
  if (tag < 0x1f) return Buffer.of(first | tag);
  const digits: number[] = [];
  for (let rest = tag; rest > 0; rest = Math.floor(rest / 128)) digits.unshift(rest & 0x7f);
  return Buffer.from([
    first | 0x1f,
    ...digits.map((digit, index) => (index < digits.length - 1 ? digit | 0x80 : digit)),
  ]);
}

export function element(tagClass: number, constructed: boolean, tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([tagBytes(tagClass, constructed, tag), lengthBytes(content.length), content]);
}

const universal = (tag: number, content: Uint8Array, constructed = false) => element(0, constructed, tag, content);

export function integer(value: number | bigint): Buffer {
  let big = BigInt(value);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(big & 0xffn));
    big >>= 8n;
  } while (big !== 0n && big !== -1n);
  // Keep the sign bit right: positive values whose top bit is set need a leading zero, negatives a leading 0xff.
  if (BigInt(value) >= 0n && bytes[0]! & 0x80) bytes.unshift(0);
  if (BigInt(value) < 0n && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  return universal(2, Buffer.from(bytes));
}

export const enumerated = (value: number) => {
  const encoded = integer(value);
  encoded[0] = 10;
  return encoded;
};
export const boolean = (value: boolean) => universal(1, Buffer.of(value ? 0xff : 0));
export const octetString = (bytes: Uint8Array) => universal(4, bytes);
export const utf8String = (text: string) => universal(12, Buffer.from(text, 'utf8'));
export const printableString = (text: string) => universal(19, Buffer.from(text, 'latin1'));
/** BIT STRING with no unused bits. */
export const bitString = (bytes: Uint8Array) => universal(3, Buffer.concat([Buffer.of(0), bytes]));

const encodedOids = new Map<string, Buffer>();

/**
 * OBJECT IDENTIFIER; arcs are bigints so 2.25.<UUID> OIDs (128-bit arcs) encode exactly. The few
 * OIDs a process writes recur in every certificate it builds: each is encoded once (callers only
 * copy the result, as every constructor here does).
 */
export function oid(dotted: string): Buffer {
  let encoded = encodedOids.get(dotted);
  if (!encoded) {
    encoded = encodeOid(dotted);
    if (encodedOids.size < 512) encodedOids.set(dotted, encoded);
  }
  return encoded;
}

function encodeOid(dotted: string): Buffer {
  const parts = dotted.split('.').map((part) => BigInt(part));
  const bytes: number[] = [];
  const push = (value: bigint) => {
    const digits: number[] = [];
    do {
      digits.unshift(Number(value % 128n));
      value /= 128n;
    } while (value > 0n);
    for (const [index, digit] of digits.entries()) bytes.push(index < digits.length - 1 ? digit | 0x80 : digit);
  };
  push(parts[0]! * 40n + parts[1]!);
  for (const part of parts.slice(2)) push(part);
  return universal(6, Buffer.from(bytes));
}

/** RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise; always UTC, whole seconds. */
export function time(epochMs: number): Buffer {
  const iso = new Date(Math.floor(epochMs / 1000) * 1000).toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = Number(digits.slice(0, 4));
  return year >= 1950 && year < 2050
    ? universal(23, Buffer.from(`${digits.slice(2)}Z`, 'latin1'))
    : universal(24, Buffer.from(`${digits}Z`, 'latin1'));
}
export const nullValue = () => universal(5, Buffer.alloc(0));
export const sequence = (...children: Uint8Array[]) => universal(16, Buffer.concat(children), true);
/** SET OF in DER order (encodings sorted). */
export const setOf = (...children: Uint8Array[]) =>
  universal(17, Buffer.concat([...children].sort(Buffer.compare)), true);
/** [tag] EXPLICIT */
export const explicit = (tag: number, child: Uint8Array) => element(2, true, tag, child);
