import { TagClass, UNIVERSAL } from './der.js';
import { readHeader } from './header.js';
import { contentError, type ErrorCode } from '../../errors.js';

const MAX_DEPTH = 32;
const END_OF_CONTENTS = 0x00;

export interface BerElement {
  tagClass: TagClass;
  constructed: boolean;
  tag: number;
  /** The whole element (header, content and, for indefinite lengths, the end-of-contents octets). */
  bytes: Uint8Array;
  /** The content octets. */
  content: Uint8Array;
  /** Offsets of the content within the reader's input. */
  contentStart: number;
  contentEnd: number;
}

/**
 * A reader for BER (sharing the DER reader's header core), the superset of DER that App Attest receipts use: Apple sends them with
 * indefinite lengths and OCTET STRINGs split into chunks. It walks the structure in place (no
 * schema, no copies) because an ASN.1-schema parse of one receipt costs several milliseconds.
 * Where an indefinite-length element ends is found by walking its children once per receipt
 * (remembered for nested readers). Bounds and depth are checked; every failure is a CONTENT
 * error with the caller's code.
 */
export class BerReader {
  private offset: number;
  private readonly input: Uint8Array;
  private readonly limit: number;
  private readonly depth: number;
  /** Content start → content end of the indefinite-length elements seen so far. */
  private readonly ends: Map<number, number>;

  constructor(input: Uint8Array, code: ErrorCode);
  constructor(
    input: Uint8Array,
    code: ErrorCode,
    within: { depth: number; start: number; limit: number; ends: Map<number, number> },
  );
  constructor(
    input: Uint8Array,
    private readonly code: ErrorCode,
    within?: { depth: number; start: number; limit: number; ends: Map<number, number> },
  ) {
    // Views of a plain Uint8Array are several times cheaper to make than Buffer views.
    this.input = input instanceof Buffer ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : input;
    this.depth = within?.depth ?? 0;
    this.offset = within?.start ?? 0;
    this.limit = within?.limit ?? input.length;
    this.ends = within?.ends ?? new Map();
    if (this.depth > MAX_DEPTH) throw this.fail('nesting too deep');
  }

  fail(detail: string) {
    return contentError(this.code, 'The receipt is malformed.', { detail: `BER: ${detail}` });
  }

  get done(): boolean {
    return this.offset >= this.limit;
  }

  next(): BerElement {
    const input = this.input;
    const start = this.offset;
    const { first, tag, contentStart, length } = readHeader(input, start, this.limit, false, this);
    const contentEnd = length < 0 ? this.endOfIndefinite(contentStart) : contentStart + length;
    const end = length < 0 ? contentEnd + 2 : contentEnd;
    this.offset = end;
    return {
      tagClass: (first >> 6) as TagClass,
      constructed: (first & 0x20) !== 0,
      tag,
      bytes: input.subarray(start, end),
      content: input.subarray(contentStart, contentEnd),
      contentStart,
      contentEnd,
    };
  }

  /** Where the end-of-contents octets of an indefinite-length element whose content starts at `position` begin. */
  private endOfIndefinite(position: number): number {
    const known = this.ends.get(position);
    if (known !== undefined && known + 2 <= this.limit) return known;
    const children = this.within(position, this.limit);
    for (;;) {
      const at = children.offset;
      if (at + 1 < this.limit && this.input[at] === END_OF_CONTENTS && this.input[at + 1] === END_OF_CONTENTS) {
        this.ends.set(position, at);
        return at;
      }
      children.next();
    }
  }

  private within(start: number, limit: number): BerReader {
    return new BerReader(this.input, this.code, { depth: this.depth + 1, start, limit, ends: this.ends });
  }

  /** The next element if it has this class and tag; otherwise nothing is consumed. */
  nextIf(tagClass: TagClass, tag: number): BerElement | undefined {
    if (this.done) return undefined;
    const saved = this.offset;
    const element = this.next();
    if (element.tagClass === tagClass && element.tag === tag) return element;
    this.offset = saved;
    return undefined;
  }

  expect(tagClass: TagClass, tag: number, what: string): BerElement {
    const element = this.next();
    if (element.tagClass !== tagClass || element.tag !== tag) {
      throw this.fail(`${what}: expected tag [${tagClass}:${tag}], found [${element.tagClass}:${element.tag}]`);
    }
    return element;
  }

  enter(element: BerElement, what: string): BerReader {
    if (!element.constructed) throw this.fail(`${what}: expected a constructed element`);
    return this.within(element.contentStart, element.contentEnd);
  }

  sequence(what: string): BerReader {
    return this.enter(this.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, what), what);
  }

  /** Fails unless every element has been read. */
  end(what: string): void {
    if (!this.done) throw this.fail(`${what}: unexpected trailing data`);
  }

  /** A small non-negative INTEGER (versions, field types). */
  smallInteger(what: string): number {
    const content = this.expect(TagClass.Universal, UNIVERSAL.INTEGER, what).content;
    if (content.length === 0 || content.length > 6 || (content[0]! & 0x80) !== 0)
      throw this.fail(`${what}: not a small non-negative INTEGER`);
    let value = 0;
    for (const byte of content) value = value * 256 + byte;
    return value;
  }

  /** An OBJECT IDENTIFIER's content octets. */
  oid(what: string): Uint8Array {
    return this.expect(TagClass.Universal, UNIVERSAL.OID, what).content;
  }

  /** An OCTET STRING's bytes; a constructed one (BER chunks) is joined. */
  octetString(what: string): Uint8Array {
    return this.joinOctets(this.expect(TagClass.Universal, UNIVERSAL.OCTET_STRING, what), what);
  }

  private joinOctets(element: BerElement, what: string): Uint8Array {
    if (!element.constructed) return element.content;
    const chunks: Uint8Array[] = [];
    const reader = this.enter(element, what);
    while (!reader.done)
      chunks.push(reader.joinOctets(reader.expect(TagClass.Universal, UNIVERSAL.OCTET_STRING, `${what} chunk`), what));
    return Buffer.concat(chunks);
  }
}
