import { randomBytes } from 'node:crypto';
import { Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { erika } from '../../../simulator/provisioning/contract/fixtures.js';
import { nameSpacesToCbor } from '../protocol/data.js';
import { canonicalCbor, cbor2Canonical, embeddedCbor, RawCbor } from './canonical-cbor.js';
import { dateTime, fullDate } from './element-value.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Integers around every head-size boundary, both signs. */
const INTEGERS = [0, 1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER].flatMap(
  (n) => [n, -n, -n - 1],
);

describe('canonicalCbor', () => {
  it('writes every supported value exactly as cbor2 does', () => {
    const values: unknown[] = [
      ...INTEGERS,
      '',
      'a',
      'x'.repeat(23),
      'x'.repeat(24),
      'ü€𝄞',
      'y'.repeat(70_000),
      new Uint8Array(0),
      new Uint8Array(randomBytes(300)),
      true,
      false,
      null,
      [],
      [1, 'two', [3], new Map([[4, 5]])],
      new Map<unknown, unknown>([
        [-1, 'minus one'],
        [1000, 'thousand'],
        ['b', 1],
        ['aa', 2],
        [0, 'zero'],
      ]),
      { random: new Uint8Array(16), digestID: 7, elementIdentifier: 'family_name', elementValue: 'Mustermann' },
      fullDate('1964-08-12'),
      dateTime('2026-12-03T10:00:00Z'),
      embeddedCbor(new Uint8Array([0xa0])),
      new Tag(1004, '1964-08-12'),
    ];
    for (const value of values) expect(hex(canonicalCbor(value))).toBe(hex(cbor2Canonical(value)));
  });

  it('writes a whole mDL (the simulator test data) as cbor2 does', () => {
    const nameSpaces = nameSpacesToCbor(erika().nameSpaces);
    expect(hex(canonicalCbor(nameSpaces))).toBe(hex(cbor2Canonical(nameSpaces)));
    expect(canonicalCbor(nameSpaces).length).toBeGreaterThan(100);
  });

  it('embeds RawCbor bytes as they are, and leaves to cbor2 what it does not write itself', () => {
    const raw = new Uint8Array([0x82, 0x01, 0x02]);
    expect(hex(canonicalCbor([new RawCbor(raw), 3]))).toBe('8282010203');
    for (const value of [1.5, 2n ** 70n, Buffer.from([1, 2]), [1.25]])
      expect(hex(canonicalCbor(value))).toBe(hex(cbor2Canonical(value)));
  });
});
