/** RFC 8941's character classes, as bits per ASCII code. */
// Character classes over ASCII, one bit each.
export const KEY_START = 1;
export const KEY_CHAR = 2;
export const TOKEN_START = 4;
export const TOKEN_CHAR = 8; // tchar / ":" / "/"
export const BASE64 = 16; // ALPHA / DIGIT / "+" / "/" (not "=", handled separately)
const CLASS = new Uint8Array(128);
for (let c = 0x61; c <= 0x7a; c++) CLASS[c]! |= KEY_START | KEY_CHAR | TOKEN_START | TOKEN_CHAR | BASE64;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c]! |= TOKEN_START | TOKEN_CHAR | BASE64;
for (let c = 0x30; c <= 0x39; c++) CLASS[c]! |= KEY_CHAR | TOKEN_CHAR | BASE64;
for (const ch of '_-.') CLASS[ch.charCodeAt(0)]! |= KEY_CHAR;
CLASS[0x2a]! |= KEY_START | KEY_CHAR | TOKEN_START; // "*"
for (const ch of "!#$%&'*+-.^_`|~:/") CLASS[ch.charCodeAt(0)]! |= TOKEN_CHAR;
CLASS[0x2b]! |= BASE64; // "+"
CLASS[0x2f]! |= BASE64; // "/"

export const isClass = (code: number, bit: number): boolean => code < 128 && (CLASS[code]! & bit) !== 0;

export const SP = 0x20;
export const HTAB = 0x09;

/** Whether `key` is a valid RFC 8941 key (dictionary member or parameter name). */
export function isValidKey(key: string): boolean {
  if (key.length === 0 || !isClass(key.charCodeAt(0), KEY_START)) return false;
  for (let i = 1; i < key.length; i++) if (!isClass(key.charCodeAt(i), KEY_CHAR)) return false;
  return true;
}
