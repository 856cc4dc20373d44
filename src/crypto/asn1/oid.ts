import type { DerElement, DerReader } from './der.js';

const decoded = new Map<string, string>();

/** Dotted text of an OBJECT IDENTIFIER element (its last byte must end a component). The same few OIDs recur on every request, so texts are memoized. */
export function oidText(reader: DerReader, element: DerElement): string {
  const { input, contentStart: start, end } = element;
  if (end === start || (input[end - 1]! & 0x80) !== 0) throw reader.fail('malformed OBJECT IDENTIFIER');
  if (end - start > 32) return decodeOid(element.content);
  let key = '';
  for (let i = start; i < end; i++) key += String.fromCharCode(input[i]!);
  let text = decoded.get(key);
  if (text === undefined) {
    text = decodeOid(element.content);
    if (decoded.size < 4096) decoded.set(key, text);
  }
  return text;
}

/** Arcs are accumulated as numbers while exact and as bigints beyond (2.25.<UUID> OIDs have 128-bit arcs). */
export function decodeOid(content: Uint8Array): string {
  const parts: string[] = [];
  let value = 0;
  let big: bigint | undefined;
  for (const byte of content) {
    if (big === undefined && value > 2 ** 45) big = BigInt(value);
    if (big === undefined) value = value * 128 + (byte & 0x7f);
    else big = big * 128n + BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      const arc = big ?? BigInt(value);
      if (parts.length === 0) {
        const first = arc < 80n ? arc / 40n : 2n;
        parts.push(String(first), String(arc - first * 40n));
      } else parts.push(String(arc));
      value = 0;
      big = undefined;
    }
  }
  return parts.join('.');
}
