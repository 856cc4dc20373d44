import { contentError, type ErrorCode } from '../../errors.js';
import { readHeader } from './header.js';

/**
 * A strict DER reader: definite lengths in minimal form, minimal tag numbers, content within
 * bounds. Every failure is a CONTENT KeywardError with the caller's code, so malformed input
 * from a device can never surface as anything but a typed rejection.
 */
export const enum TagClass {
  Universal = 0,
  Application = 1,
  Context = 2,
  Private = 3,
}

export const UNIVERSAL = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  UTF8_STRING: 12,
  ENUMERATED: 10,
  SEQUENCE: 16,
  SET: 17,
  PRINTABLE_STRING: 19,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
} as const;

/**
 * An element as offsets into the reader's input: its views are made only if someone asks (most
 * are only walked past); hot paths read `input` between `contentStart` and `end` directly.
 */
export class DerElement {
  constructor(
    readonly input: Uint8Array,
    readonly tagClass: TagClass,
    readonly constructed: boolean,
    readonly tag: number,
    readonly start: number,
    readonly contentStart: number,
    readonly end: number,
  ) {}

  /** The whole element (header and content). */
  get bytes(): Uint8Array {
    return this.input.subarray(this.start, this.end);
  }

  /** The content octets. */
  get content(): Uint8Array {
    return this.input.subarray(this.contentStart, this.end);
  }
}

const MAX_DEPTH = 32;

export class DerReader {
  private offset: number;
  private readonly input: Uint8Array;
  private readonly limit: number;

  /** Reads `input`, or its part from `start` to `end` (nested readers share one input instead of making views). */
  constructor(
    input: Uint8Array,
    private readonly code: ErrorCode,
    private readonly depth = 0,
    start = 0,
    end = input.length,
  ) {
    if (depth > MAX_DEPTH) throw this.fail('nesting too deep');
    // Views of a plain Uint8Array are far cheaper to make than Buffer slices.
    this.input = Buffer.isBuffer(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : input;
    this.offset = start;
    this.limit = end;
  }

  fail(detail: string) {
    return contentError(this.code, 'The attestation data is malformed.', { detail: `DER: ${detail}` });
  }

  get done(): boolean {
    return this.offset >= this.limit;
  }

  /** The next element, or undefined at the end. */
  peek(): DerElement | undefined {
    if (this.done) return undefined;
    const saved = this.offset;
    const element = this.next();
    this.offset = saved;
    return element;
  }

  next(): DerElement {
    const { first, tag, contentStart, length } = readHeader(this.input, this.offset, this.limit, true, this);
    const start = this.offset;
    this.offset = contentStart + length;
    return new DerElement(
      this.input,
      (first >> 6) as TagClass,
      (first & 0x20) !== 0,
      tag,
      start,
      contentStart,
      contentStart + length,
    );
  }

  /** Reads one element and checks its class and tag. */
  expect(tagClass: TagClass, tag: number, what: string): DerElement {
    const element = this.next();
    if (element.tagClass !== tagClass || element.tag !== tag) {
      throw this.fail(`${what}: expected tag [${tagClass}:${tag}], found [${element.tagClass}:${element.tag}]`);
    }
    return element;
  }

  /** A reader over a constructed element's content. */
  enter(element: DerElement, what: string): DerReader {
    if (!element.constructed) throw this.fail(`${what}: expected a constructed element`);
    return new DerReader(element.input, this.code, this.depth + 1, element.contentStart, element.end);
  }

  sequence(what: string): DerReader {
    return this.enter(this.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, what), what);
  }

  /** Fails unless every element has been read. */
  end(what: string): void {
    if (!this.done) throw this.fail(`${what}: unexpected trailing data`);
  }

  integer(what: string): bigint {
    const element = this.expect(TagClass.Universal, UNIVERSAL.INTEGER, what);
    return decodeInteger(element, this, what);
  }

  /** An INTEGER as a number when it is exactly representable, else as a bigint. */
  integerValue(what: string): number | bigint {
    const element = this.expect(TagClass.Universal, UNIVERSAL.INTEGER, what);
    return decodeIntegerValue(element, this, what);
  }

  enumerated(what: string): number {
    const element = this.expect(TagClass.Universal, UNIVERSAL.ENUMERATED, what);
    return Number(decodeIntegerValue(element, this, what));
  }

  /** A primitive OCTET STRING element (its content read in place by the caller). */
  octetStringElement(what: string): DerElement {
    const element = this.expect(TagClass.Universal, UNIVERSAL.OCTET_STRING, what);
    if (element.constructed) throw this.fail(`${what}: constructed OCTET STRING`);
    return element;
  }

  octetString(what: string): Uint8Array {
    return this.octetStringElement(what).content;
  }

  /** A reader over the DER carried inside an OCTET STRING (extension values, nested structures). */
  encapsulated(what: string): DerReader {
    const element = this.octetStringElement(what);
    return new DerReader(element.input, this.code, this.depth + 1, element.contentStart, element.end);
  }

  /** A primitive BIT STRING without unused bits (what keys and signatures are), for callers that read its bits in place (after the unused-bits byte). */
  bitStringElement(what: string): DerElement {
    const element = this.expect(TagClass.Universal, UNIVERSAL.BIT_STRING, what);
    if (element.constructed || element.end === element.contentStart || element.input[element.contentStart] !== 0)
      throw this.fail(`${what}: malformed BIT STRING`);
    return element;
  }

  /** The bits of a BIT STRING without unused bits (the content after the unused-bits byte). */
  bitString(what: string): Uint8Array {
    const element = this.bitStringElement(what);
    return element.input.subarray(element.contentStart + 1, element.end);
  }

  null(what: string): void {
    const element = this.expect(TagClass.Universal, UNIVERSAL.NULL, what);
    if (element.content.length !== 0) throw this.fail(`${what}: NULL with content`);
  }
}

export function decodeInteger(element: DerElement, reader: DerReader, what: string): bigint {
  return BigInt(decodeIntegerValue(element, reader, what));
}

/** Up to six content octets fit a double exactly: most attestation integers take that path, without BigInt. */
export function decodeIntegerValue(element: DerElement, reader: DerReader, what: string): number | bigint {
  if (!element.constructed) {
    const { input, contentStart: start, end } = element;
    const length = end - start;
    if (
      length > 0 &&
      length <= 6 &&
      !(
        length > 1 &&
        ((input[start] === 0 && (input[start + 1]! & 0x80) === 0) ||
          (input[start] === 0xff && (input[start + 1]! & 0x80) !== 0))
      )
    ) {
      let small = 0;
      for (let i = start; i < end; i++) small = small * 256 + input[i]!;
      if (input[start]! & 0x80) small -= 2 ** (length * 8);
      return small;
    }
  }
  const content = element.content;
  if (element.constructed || content.length === 0) throw reader.fail(`${what}: malformed INTEGER`);
  if (
    content.length > 1 &&
    ((content[0] === 0 && (content[1]! & 0x80) === 0) || (content[0] === 0xff && (content[1]! & 0x80) !== 0))
  ) {
    throw reader.fail(`${what}: non-minimal INTEGER`);
  }
  if (content.length <= 6) {
    let small = 0;
    for (const byte of content) small = small * 256 + byte;
    if (content[0]! & 0x80) small -= 2 ** (content.length * 8);
    return small;
  }
  let value = 0n;
  for (const byte of content) value = (value << 8n) | BigInt(byte);
  if (content[0]! & 0x80) value -= 1n << BigInt(content.length * 8);
  return value;
}

/** An INTEGER for JSON: a number, or a decimal string beyond 2^53 (JSON numbers would lose the digits). */
export function integerValue(value: number | bigint): number | string {
  if (typeof value === 'number') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

export function decodeBoolean(element: DerElement, reader: DerReader, what: string): boolean {
  const content = element.content;
  if (element.constructed || content.length !== 1) throw reader.fail(`${what}: malformed BOOLEAN`);
  if (content[0] === 0) return false;
  if (content[0] === 0xff) return true;
  throw reader.fail(`${what}: BOOLEAN not in DER form`);
}
