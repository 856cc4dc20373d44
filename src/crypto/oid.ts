import type { DerElement, DerReader } from './der.js';

const decoded = new Map<string, string>();

/** Dotted text of an OBJECT IDENTIFIER element (its last byte must end a component). The same few OIDs recur on every request, so texts are memoized. */
export function oidText(reader: DerReader, element: DerElement): string {
  const content = element.content;
  if (content.length === 0 || (content[content.length - 1]! & 0x80) !== 0) throw reader.fail('malformed OBJECT IDENTIFIER');
  if (content.length > 32) return decodeOid(content);
  let key = '';
  for (let i = 0; i < content.length; i++) key += String.fromCharCode(content[i]!);
  let text = decoded.get(key);
  if (text === undefined) {
    text = decodeOid(content);
    if (decoded.size < 4096) decoded.set(key, text);
  }
  return text;
}

export function decodeOid(content: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
