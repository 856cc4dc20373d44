import { decode, encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { canonicalCbor } from './canonical-cbor.js';
import { dateTime, fullDate, normalizeElementValue } from './element-value.js';
import {
  createIssuerSignedItem,
  encodeIssuerSignedItem,
  issuerSignedItemBytes,
  randomDigestIds,
} from './issuer-signed-item.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const decodeOriginal = (bytes: Uint8Array) => decode(bytes, { preferMap: true, ignoreGlobalTags: true });

describe('canonical CBOR', () => {
  it('orders map keys length-first (RFC 7049 §3.9), not bytewise as cbor2 cde alone does', () => {
    const map = new Map<unknown, unknown>([
      ['elementIdentifier', 1],
      ['aa', 2],
      ['b', 3],
      [10, 4],
      [-1, 5],
      [1000, 6],
    ]);
    // Length-first: 10 (0a) and -1 (20) are one byte, "b" (61 62) two, 1000 (19 03e8) and "aa" three.
    expect([...(decodeOriginal(canonicalCbor(map)) as Map<unknown, unknown>).keys()]).toEqual([
      10,
      -1,
      'b',
      1000,
      'aa',
      'elementIdentifier',
    ]);
    // Bytewise (RFC 8949 §4.2.1) puts 1000 (19 03e8) before -1 (20); for text keys the two orders agree.
    expect([...(decodeOriginal(encode(map, { cde: true })) as Map<unknown, unknown>).keys()]).toEqual([
      10,
      1000,
      -1,
      'b',
      'aa',
      'elementIdentifier',
    ]);
  });

  it('writes the shortest integer and length heads', () => {
    expect(hex(canonicalCbor(23))).toBe('17');
    expect(hex(canonicalCbor(24))).toBe('1818');
    expect(hex(canonicalCbor(65536))).toBe('1a00010000');
    expect(hex(canonicalCbor(-25))).toBe('3818');
    expect(hex(canonicalCbor(new Uint8Array(24)))).toMatch(/^5818/);
    expect(hex(canonicalCbor(1.5))).toBe('f93e00');
  });
});

describe('IssuerSignedItem', () => {
  const value = normalizeElementValue(
    [
      {
        vehicle_category_code: 'B',
        issue_date: fullDate('2020-03-01'),
        expiry_date: fullDate('2035-02-28'),
        codes: [{ code: '96', sign: '=', value: '4250' }],
      },
    ],
    'driving_privileges',
  );

  it('encodes its keys as random, digestID, elementValue, elementIdentifier and nested maps length-first', () => {
    const item = createIssuerSignedItem(7, 'driving_privileges', value);
    const bytes = encodeIssuerSignedItem(item);
    const decoded = decodeOriginal(bytes) as Map<string, unknown>;
    expect([...decoded.keys()]).toEqual(['random', 'digestID', 'elementValue', 'elementIdentifier']);
    const privilege = (decoded.get('elementValue') as Map<string, unknown>[])[0]!;
    expect([...privilege.keys()]).toEqual(['codes', 'issue_date', 'expiry_date', 'vehicle_category_code']);
    expect(privilege.get('issue_date')).toEqual(new Tag(1004, '2020-03-01'));
    const code = (privilege.get('codes') as Map<string, unknown>[])[0]!;
    expect([...code.keys()]).toEqual(['code', 'sign', 'value']);
  });

  it('re-encodes to identical bytes after decoding, for every value kind', () => {
    const values: Array<[string, unknown]> = [
      ['family_name', 'Mustermann'],
      ['portrait', Buffer.from('ffd8ffe000104a464946', 'hex')],
      ['age_in_years', 52],
      ['age_birth_year', 1971n],
      ['age_over_18', true],
      ['un_distinguishing_sign', null],
      ['birth_date', fullDate('1971-09-01')],
      ['issue_date', dateTime(Date.parse('2026-12-01T10:00:00.987Z'))],
      ['driving_privileges', value],
      ['sex', -1],
    ];
    for (const [identifier, elementValue] of values) {
      const item = createIssuerSignedItem(4_000_000_000 % 2 ** 31, identifier, elementValue);
      const bytes = issuerSignedItemBytes(item);
      const outer = decodeOriginal(bytes) as Tag;
      expect(Number(outer.tag)).toBe(24);
      const inner = outer.contents as Uint8Array;
      expect(canonicalCbor(new Tag(24, inner))).toEqual(bytes);
      expect(canonicalCbor(decodeOriginal(inner))).toEqual(inner);
    }
  });

  it('writes tdate without fractional seconds and full-date as tag 1004', () => {
    expect(dateTime(Date.parse('2026-12-01T10:00:00.987Z'))).toEqual(new Tag(0, '2026-12-01T10:00:00Z'));
    expect(hex(canonicalCbor(fullDate('1971-09-01')))).toBe(`d903ec6a${Buffer.from('1971-09-01').toString('hex')}`);
    expect(() => fullDate('01.09.1971')).toThrow(TypeError);
    expect(() => normalizeElementValue(new Date(0), 'birth_date')).toThrow(/fullDate or dateTime/);
    expect(() => normalizeElementValue(new Tag(0, '2026-12-01T10:00:00.5Z'), 'x')).toThrow(TypeError);
    expect(() => normalizeElementValue(new Tag(32, 'https://x'), 'x')).toThrow(TypeError);
    expect(() => normalizeElementValue(undefined, 'x')).toThrow(TypeError);
  });

  it('carries a random salt of 32 bytes by default, at least 16', () => {
    const a = createIssuerSignedItem(1, 'given_name', 'Erika');
    const b = createIssuerSignedItem(1, 'given_name', 'Erika');
    expect(a.random).toHaveLength(32);
    expect(a.random.constructor).toBe(Uint8Array);
    expect(hex(a.random)).not.toBe(hex(b.random));
    expect(issuerSignedItemBytes(a)).not.toEqual(issuerSignedItemBytes(b));
    expect(createIssuerSignedItem(1, 'given_name', 'Erika', 16).random).toHaveLength(16);
    expect(() => createIssuerSignedItem(1, 'given_name', 'Erika', 15)).toThrow(/at least 16/);
  });

  it('draws distinct random digest IDs below 2^31', () => {
    const ids = randomDigestIds(200);
    expect(new Set(ids).size).toBe(200);
    for (const id of ids) expect(id >= 0 && id < 2 ** 31 && Number.isInteger(id)).toBe(true);
    expect(ids).not.toEqual([...ids].sort((x, y) => x - y));
  });
});
