/**
 * Strict Structured Field Values for HTTP (RFC 8941): Dictionaries, Items and Inner Lists with
 * Parameters, following the parsing algorithms of RFC 8941 §4.2 to the letter: any syntax error
 * fails the whole field (no partial results). RFC 9651 extensions (Dates `@…`, Display Strings
 * `%"…"`) are not RFC 8941 and fail too. Serialisation (§4.1) is canonical, which is what
 * RFC 9421 needs to rebuild `@signature-params`.
 *
 * Duplicate keys: RFC 8941 says the last one wins, and so do the parsed maps here, but every
 * duplicate is reported (`duplicates`, `duplicateParameters`) so that callers for whom an
 * overwritten member is an attack (HTTP message signatures) can reject it.
 *
 * Input is bounded (field length, member, item and parameter counts); a field beyond a bound is
 * refused as a whole with STRUCTURED_FIELD_TOO_LARGE. Syntax errors are STRUCTURED_FIELD_MALFORMED.
 * Callers usually re-throw both under their own code with this error as the cause.
 */
import { contentError } from '../../../errors.js';
import { BASE64, HTAB, isClass, KEY_CHAR, KEY_START, SP, TOKEN_CHAR, TOKEN_START } from './characters.js';
import type {
  BareItem,
  Dictionary,
  DictionaryMember,
  InnerList,
  Item,
  Parameters,
  StructuredFieldLimits,
} from './types.js';

const DEFAULT_MAX_LENGTH = 16_384;
const DEFAULT_MAX_MEMBERS = 64;
const DEFAULT_MAX_INNER_LIST_ITEMS = 64;
const DEFAULT_MAX_PARAMETERS = 32;

const NO_PARAMETERS: Parameters = new Map();
const NONE: readonly string[] = Object.freeze([]);
const TRUE: BareItem = Object.freeze({ type: 'boolean', value: true });

class Parser {
  i = 0;
  duplicates: string[] | undefined;
  duplicateParameters: string[] | undefined;
  /** Where parameters are being parsed, for duplicate reports: `member` or `member[i]`. */
  context = '';
  private readonly maxInnerListItems: number;
  private readonly maxParameters: number;

  constructor(
    readonly s: string,
    limits: StructuredFieldLimits,
  ) {
    this.maxInnerListItems = limits.maxInnerListItems ?? DEFAULT_MAX_INNER_LIST_ITEMS;
    this.maxParameters = limits.maxParameters ?? DEFAULT_MAX_PARAMETERS;
  }

  fail(reason: string): never {
    throw contentError('STRUCTURED_FIELD_MALFORMED', 'A structured header field is malformed.', {
      detail: `${reason} at offset ${this.i}`,
    });
  }

  skipSP(): void {
    while (this.s.charCodeAt(this.i) === SP) this.i++;
  }

  skipOWS(): void {
    for (let c = this.s.charCodeAt(this.i); c === SP || c === HTAB; c = this.s.charCodeAt(++this.i));
  }

  /** RFC 8941 §4.2.2 */
  parseDictionary(maxMembers: number): Dictionary {
    const members = new Map<string, DictionaryMember>();
    const s = this.s;
    let count = 0;
    while (this.i < s.length) {
      if (++count > maxMembers) tooLarge(`more than ${maxMembers} dictionary members`);
      const key = this.parseKey();
      this.context = key;
      let member: DictionaryMember;
      if (s.charCodeAt(this.i) === 0x3d /* = */) {
        this.i++;
        member = s.charCodeAt(this.i) === 0x28 /* ( */ ? this.parseInnerList() : this.parseItem();
      } else {
        member = { kind: 'item', value: TRUE, params: this.parseParameters() };
      }
      if (members.has(key)) (this.duplicates ??= []).push(key);
      members.set(key, member);
      this.skipOWS();
      if (this.i >= s.length) break;
      if (s.charCodeAt(this.i) !== 0x2c /* , */) this.fail('expected "," after a dictionary member');
      this.i++;
      this.skipOWS();
      if (this.i >= s.length) this.fail('trailing "," in a dictionary');
    }
    return { members, duplicates: this.duplicates ?? NONE, duplicateParameters: this.duplicateParameters ?? NONE };
  }

  /** RFC 8941 §4.2.1.2 */
  parseInnerList(): InnerList {
    const s = this.s;
    const context = this.context;
    this.i++; // "("
    const items: Item[] = [];
    for (;;) {
      this.skipSP();
      if (this.i >= s.length) this.fail('unterminated inner list');
      if (s.charCodeAt(this.i) === 0x29 /* ) */) {
        this.i++;
        this.context = context;
        return { kind: 'inner-list', items, params: this.parseParameters() };
      }
      if (items.length >= this.maxInnerListItems) tooLarge(`more than ${this.maxInnerListItems} inner list items`);
      this.context = `${context}[${items.length}]`;
      items.push(this.parseItem());
      const c = s.charCodeAt(this.i);
      if (c !== SP && c !== 0x29) this.fail('expected SP or ")" after an inner list item');
    }
  }

  /** RFC 8941 §4.2.3 */
  parseItem(): Item {
    const value = this.parseBareItem();
    return { kind: 'item', value, params: this.parseParameters() };
  }

  /** RFC 8941 §4.2.3.2 */
  parseParameters(): Parameters {
    const s = this.s;
    if (s.charCodeAt(this.i) !== 0x3b /* ; */) return NO_PARAMETERS;
    const params = new Map<string, BareItem>();
    let count = 0;
    while (s.charCodeAt(this.i) === 0x3b) {
      if (++count > this.maxParameters) tooLarge(`more than ${this.maxParameters} parameters`);
      this.i++;
      this.skipSP();
      const key = this.parseKey();
      let value = TRUE;
      if (s.charCodeAt(this.i) === 0x3d /* = */) {
        this.i++;
        value = this.parseBareItem();
      }
      if (params.has(key)) (this.duplicateParameters ??= []).push(`${this.context};${key}`);
      params.set(key, value);
    }
    return params;
  }

  /** RFC 8941 §4.2.3.3 */
  parseKey(): string {
    const s = this.s;
    const start = this.i;
    if (!isClass(s.charCodeAt(start), KEY_START)) this.fail('expected a key (lcalpha or "*")');
    let i = start + 1;
    while (isClass(s.charCodeAt(i), KEY_CHAR)) i++;
    this.i = i;
    return s.slice(start, i);
  }

  /** RFC 8941 §4.2.3.1 */
  parseBareItem(): BareItem {
    const c = this.s.charCodeAt(this.i);
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (c === 0x22 /* " */) return { type: 'string', value: this.parseString() };
    if (isClass(c, TOKEN_START)) return { type: 'token', value: this.parseToken() };
    if (c === 0x3a /* : */) return { type: 'binary', value: this.parseByteSequence() };
    if (c === 0x3f /* ? */) return this.parseBoolean();
    return this.fail(Number.isNaN(c) ? 'expected an item, found the end' : 'expected an item');
  }

  /** RFC 8941 §4.2.4 */
  parseNumber(): BareItem {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s.charCodeAt(i) === 0x2d) i++;
    const digitsStart = i;
    let c = s.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39)) {
      this.i = i;
      this.fail('expected a digit');
    }
    let dot = -1;
    for (; i < s.length; c = s.charCodeAt(++i)) {
      if (c >= 0x30 && c <= 0x39) continue;
      if (dot < 0 && c === 0x2e /* . */) {
        if (i - digitsStart > 12) {
          this.i = i;
          this.fail('decimal with more than 12 integer digits');
        }
        dot = i;
        continue;
      }
      break;
    }
    this.i = i;
    const length = i - digitsStart;
    if (dot < 0) {
      if (length > 15) this.fail('integer with more than 15 digits');
      let value = 0;
      for (let k = digitsStart; k < i; k++) value = value * 10 + (s.charCodeAt(k) - 0x30);
      return { type: 'integer', value: digitsStart === start ? value : -value };
    }
    if (length > 16) this.fail('decimal with more than 16 characters');
    const fraction = i - dot - 1;
    if (fraction === 0) this.fail('decimal ending in "."');
    if (fraction > 3) this.fail('decimal with more than 3 fractional digits');
    return { type: 'decimal', value: Number(s.slice(start, i)) };
  }

  /** RFC 8941 §4.2.5 */
  parseString(): string {
    const s = this.s;
    let i = this.i + 1;
    let out = '';
    let chunk = i;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22 /* " */) {
        this.i = i + 1;
        return out + s.slice(chunk, i);
      }
      if (c === 0x5c /* \ */) {
        const next = s.charCodeAt(i + 1);
        if (next !== 0x22 && next !== 0x5c) {
          this.i = i;
          this.fail('invalid escape in a string');
        }
        out += s.slice(chunk, i);
        chunk = ++i; // keep the escaped character, drop the backslash
        continue;
      }
      if (c < 0x20 || c > 0x7e) {
        this.i = i;
        this.fail('non-printable or non-ASCII character in a string');
      }
    }
    this.i = i;
    return this.fail('unterminated string');
  }

  /** RFC 8941 §4.2.6 */
  parseToken(): string {
    const s = this.s;
    const start = this.i;
    let i = start + 1;
    while (isClass(s.charCodeAt(i), TOKEN_CHAR)) i++;
    this.i = i;
    return s.slice(start, i);
  }

  /** RFC 8941 §4.2.7: standard base64; missing padding is tolerated (SHOULD NOT fail), misplaced padding is not. */
  parseByteSequence(): Buffer {
    const s = this.s;
    const start = this.i + 1;
    let i = start;
    let padding = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x3a /* : */) break;
      if (c === 0x3d /* = */) {
        padding++;
        continue;
      }
      if (padding > 0 || !isClass(c, BASE64)) {
        this.i = i;
        this.fail(padding > 0 ? '"=" inside a byte sequence' : 'invalid character in a byte sequence');
      }
    }
    if (i >= s.length) {
      this.i = i;
      this.fail('unterminated byte sequence');
    }
    const length = i - start;
    if (padding > 2 || (padding > 0 ? length % 4 !== 0 : length % 4 === 1)) {
      this.i = i;
      this.fail('byte sequence with invalid base64 length or padding');
    }
    this.i = i + 1;
    return Buffer.from(s.slice(start, i), 'base64');
  }

  /** RFC 8941 §4.2.8 */
  parseBoolean(): BareItem {
    const c = this.s.charCodeAt(this.i + 1);
    if (c !== 0x30 && c !== 0x31) {
      this.i++;
      this.fail('expected "0" or "1" after "?"');
    }
    this.i += 2;
    return c === 0x31 ? TRUE : { type: 'boolean', value: false };
  }
}

function tooLarge(detail: string): never {
  throw contentError('STRUCTURED_FIELD_TOO_LARGE', 'A structured header field is too large.', { detail });
}

function begin(input: string, limits: StructuredFieldLimits): Parser {
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH;
  if (input.length > maxLength) tooLarge(`field of ${input.length} characters exceeds ${maxLength}`);
  const parser = new Parser(input, limits);
  parser.skipSP();
  return parser;
}

function end(parser: Parser): void {
  parser.skipSP();
  if (parser.i < parser.s.length) parser.fail('unexpected characters after the field value');
}

/**
 * Parses a Dictionary field value (RFC 8941 §4.2 with §4.2.2). Field lines of the same name must
 * already be combined with ", ". An empty (or all-SP) value is an empty Dictionary.
 */
export function parseDictionary(input: string, limits: StructuredFieldLimits = {}): Dictionary {
  const parser = begin(input, limits);
  const dictionary = parser.parseDictionary(limits.maxMembers ?? DEFAULT_MAX_MEMBERS);
  end(parser);
  return dictionary;
}

/** Parses an Item field value (RFC 8941 §4.2 with §4.2.3); duplicate parameter keys are reported as `;key`. */
export function parseItem(
  input: string,
  limits: StructuredFieldLimits = {},
): Item & { readonly duplicateParameters: readonly string[] } {
  const parser = begin(input, limits);
  const item = parser.parseItem();
  end(parser);
  return { ...item, duplicateParameters: parser.duplicateParameters ?? NONE };
}
