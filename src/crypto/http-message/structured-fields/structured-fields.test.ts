import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outcome } from '../../../../test/helpers/outcome.js';
import {
  isValidKey,
  parseDictionary,
  parseItem,
  serializeBareItem,
  serializeInnerList,
  serializeItem,
  serializeString,
  type BareItem,
  type InnerList,
  type Item,
} from './index.js';

const int = (value: number): BareItem => ({ type: 'integer', value });
const dec = (value: number): BareItem => ({ type: 'decimal', value });
const str = (value: string): BareItem => ({ type: 'string', value });
const tok = (value: string): BareItem => ({ type: 'token', value });
const bin = (base64: string): BareItem => ({ type: 'binary', value: Buffer.from(base64, 'base64') });
const bool = (value: boolean): BareItem => ({ type: 'boolean', value });
const item = (value: BareItem, params: [string, BareItem][] = []): Item => ({
  kind: 'item',
  value,
  params: new Map(params),
});
const list = (items: Item[], params: [string, BareItem][] = []): InnerList => ({
  kind: 'inner-list',
  items,
  params: new Map(params),
});

const MALFORMED = 'CONTENT STRUCTURED_FIELD_MALFORMED';
const TOO_LARGE = 'CONTENT STRUCTURED_FIELD_TOO_LARGE';

/** The single member `m` of `m=<value>`. */
const member = (value: string) => parseDictionary(`m=${value}`).members.get('m');

describe('RFC 8941 bare items', () => {
  it.each<[string, BareItem]>([
    ['42', int(42)],
    ['-999999999999999', int(-999_999_999_999_999)],
    ['999999999999999', int(999_999_999_999_999)],
    ['007', int(7)],
    ['4.5', dec(4.5)],
    ['1.0', dec(1)],
    ['-1.125', dec(-1.125)],
    ['123456789012.123', dec(123456789012.123)],
    ['"hello world"', str('hello world')],
    ['""', str('')],
    ['"a\\"b\\\\c"', str('a"b\\c')],
    ['foo123/456', tok('foo123/456')],
    ['*foo:bar', tok('*foo:bar')],
    ['Applepie', tok('Applepie')],
    [':cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:', bin('cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==')],
    ['::', bin('')],
    [':AAE:', bin('AAE=')],
    ['?1', bool(true)],
    ['?0', bool(false)],
  ])('parses %s', (input, expected) => {
    expect(member(input)).toEqual(item(expected));
    expect(parseItem(input)).toEqual({ ...item(expected), duplicateParameters: [] });
  });

  it.each([
    ['1000000000000000', '16-digit integer'],
    ['1234567890123.1', 'decimal with 13 integer digits'],
    ['1.1234', 'decimal with 4 fractional digits'],
    ['1.', 'decimal ending in "."'],
    ['-', 'sign without digits'],
    ['-a', 'sign before a letter'],
    ['1.2.3', 'two dots'],
    ['"a\\nb"', 'escape other than \\" and \\\\'],
    ['"caf\u00e9"', 'non-ASCII in a string'],
    ['"a\tb"', 'HTAB in a string'],
    ['"unterminated', 'unterminated string'],
    [':AA-_:', 'base64url alphabet'],
    [':AA A:', 'SP in a byte sequence'],
    [':AA=A:', '"=" inside a byte sequence'],
    [':A===:', 'too much padding'],
    [':AAAAA=:', 'padded length not a multiple of 4'],
    [':A:', 'base64 length 1 mod 4'],
    [':AAAA', 'unterminated byte sequence'],
    ['?2', 'boolean other than 0/1'],
    ['?', 'lone "?"'],
    ['@1700000000', 'RFC 9651 Date'],
    ['%"display"', 'RFC 9651 Display String'],
    ['', 'missing value'],
    ['\u00e9', 'non-ASCII token'],
  ])('rejects %s (%s)', (input) => {
    expect(outcome(() => member(input))).toBe(MALFORMED);
    expect(outcome(() => parseItem(input))).toBe(MALFORMED);
  });
});

describe('RFC 8941 dictionaries', () => {
  it('parses the RFC 8941 examples with member types, inner lists and parameters in order', () => {
    const parsed = parseDictionary(
      'en="Applepie", da=:w4ZibGV0w6ZydGU=:, a=?0, b, c; foo=bar, rating=1.5, feelings=(joy sadness);x=1',
    );
    expect([...parsed.members.keys()]).toEqual(['en', 'da', 'a', 'b', 'c', 'rating', 'feelings']);
    expect(parsed.members.get('en')).toEqual(item(str('Applepie')));
    expect(parsed.members.get('da')).toEqual(item(bin('w4ZibGV0w6ZydGU=')));
    expect(parsed.members.get('a')).toEqual(item(bool(false)));
    expect(parsed.members.get('b')).toEqual(item(bool(true)));
    expect(parsed.members.get('c')).toEqual(item(bool(true), [['foo', tok('bar')]]));
    expect(parsed.members.get('rating')).toEqual(item(dec(1.5)));
    expect(parsed.members.get('feelings')).toEqual(list([item(tok('joy')), item(tok('sadness'))], [['x', int(1)]]));
    expect(parsed.duplicates).toEqual([]);
    expect(parsed.duplicateParameters).toEqual([]);
  });

  it('parses an RFC 9421 Signature-Input with component parameters and empty inner lists', () => {
    const parsed = parseDictionary(
      'sig1=("@query-param";name="Pet" "content-type");created=1618884473;keyid="k", sig2=();nonce="n"',
    );
    expect(parsed.members.get('sig1')).toEqual(
      list(
        [item(str('@query-param'), [['name', str('Pet')]]), item(str('content-type'))],
        [
          ['created', int(1618884473)],
          ['keyid', str('k')],
        ],
      ),
    );
    expect(parsed.members.get('sig2')).toEqual(list([], [['nonce', str('n')]]));
  });

  it('allows SP around the dictionary, OWS (SP, HTAB) around ",", SP after ";" and inside inner list parentheses', () => {
    const parsed = parseDictionary('  a=1 ,\tb=( 1  2 );  p=?1 ,  c  ');
    expect(parsed.members.get('a')).toEqual(item(int(1)));
    expect(parsed.members.get('b')).toEqual(list([item(int(1)), item(int(2))], [['p', bool(true)]]));
    expect(parsed.members.get('c')).toEqual(item(bool(true)));
    // RFC 8941 §4.2.2 discards OWS after a member before looking for ",", so a trailing HTAB parses.
    expect(parseDictionary('a=1\t').members.get('a')).toEqual(item(int(1)));
    expect(parseDictionary('').members.size).toBe(0);
    expect(parseDictionary('   ').members.size).toBe(0);
  });

  it.each([
    ['a=1 garbage', 'trailing garbage'],
    ['a=1,', 'trailing comma'],
    ['a=1, ', 'trailing comma and SP'],
    ['a=1,,b=2', 'empty member'],
    [',a=1', 'leading comma'],
    ['a=("x") ;p=1', 'whitespace before ";" after an inner list'],
    ['a="x" ;p=1', 'whitespace before ";" after an item'],
    ['a=("x" ;p=1)', 'whitespace before ";" inside an inner list'],
    ['a=("x"\t"y")', 'HTAB inside an inner list'],
    ['a=(\t"x")', 'HTAB after "("'],
    ['a=("x""y")', 'no SP between inner list items'],
    ['a=("x"', 'unterminated inner list'],
    ['a=(("x"))', 'nested inner list'],
    ['A=1', 'uppercase key'],
    ['1a=1', 'key starting with a digit'],
    ['a;P=1', 'uppercase parameter key'],
    ['a;=1', 'empty parameter key'],
    ['a=1;p=(1)', 'inner list as a parameter value'],
    ['\ta=1', 'leading HTAB'],
    ['a=1;', 'dangling ";"'],
    ['a==1', 'double "="'],
    ['a=1 b=2', 'members without ","'],
  ])('rejects %s (%s) as a whole', (input) => {
    expect(outcome(() => parseDictionary(input))).toBe(MALFORMED);
  });

  it('lets the last duplicate win in place and reports duplicate members and parameters', () => {
    const parsed = parseDictionary('a=1, b=2, a=3, c=(x;p=1;p=2 y);q;q=?0, d;r=1;r=2, a=4');
    expect([...parsed.members.keys()]).toEqual(['a', 'b', 'c', 'd']);
    expect(parsed.members.get('a')).toEqual(item(int(4)));
    expect(parsed.members.get('c')).toEqual(
      list([item(tok('x'), [['p', int(2)]]), item(tok('y'))], [['q', bool(false)]]),
    );
    expect(parsed.duplicates).toEqual(['a', 'a']);
    expect(parsed.duplicateParameters).toEqual(['c[0];p', 'c;q', 'd;r']);
    expect(parseItem('"x";a=1;a=2').duplicateParameters).toEqual([';a']);
  });

  it('refuses fields beyond the bounds as a whole (STRUCTURED_FIELD_TOO_LARGE)', () => {
    const long = `a="${'x'.repeat(16_384 - 4)}"`;
    expect(long).toHaveLength(16_384);
    expect(outcome(() => parseDictionary(long))).toBe('accepted');
    expect(outcome(() => parseDictionary(`${long} `))).toBe(TOO_LARGE);
    expect(outcome(() => parseDictionary('a=1', { maxLength: 2 }))).toBe(TOO_LARGE);

    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=${i}`).join(', ');
    expect(parseDictionary(members(64)).members.size).toBe(64);
    expect(outcome(() => parseDictionary(members(65)))).toBe(TOO_LARGE);
    expect(outcome(() => parseDictionary('a=1, a=2, a=3', { maxMembers: 2 }))).toBe(TOO_LARGE); // duplicates count

    const items = (n: number) => `a=(${Array.from({ length: n }, (_, i) => i).join(' ')})`;
    expect(outcome(() => parseDictionary(items(64)))).toBe('accepted');
    expect(outcome(() => parseDictionary(items(65)))).toBe(TOO_LARGE);

    const params = (n: number) => `a${Array.from({ length: n }, (_, i) => `;p${i}`).join('')}`;
    expect(outcome(() => parseDictionary(params(32)))).toBe('accepted');
    expect(outcome(() => parseDictionary(params(33)))).toBe(TOO_LARGE);
    expect(outcome(() => parseDictionary('a;p;p;p', { maxParameters: 2 }))).toBe(TOO_LARGE);
  });

  it('never throws anything but STRUCTURED_FIELD_* KeywardErrors on arbitrary input', () => {
    const unit = fc.constantFrom(...' \t"\\();=,:?*-.@%/+01259aAzZé\u0000\r\n'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (input) => {
        expect(outcome(() => parseDictionary(input))).toMatch(
          /^(accepted|CONTENT STRUCTURED_FIELD_(MALFORMED|TOO_LARGE))$/,
        );
      }),
      { numRuns: 3000 },
    );
  });
});

describe('RFC 8941 serialisation', () => {
  it('re-serialises a parsed inner list canonically', () => {
    const parsed = member('(  "x"   y;p=?1  :AQ==:  007 -1.50 );q=1.500;r=?0;s=?1;t="a\\"b"');
    expect(parsed?.kind).toBe('inner-list');
    expect(serializeInnerList(parsed as InnerList)).toBe('("x" y;p :AQ==: 7 -1.5);q=1.5;r=?0;s;t="a\\"b"');
    expect(serializeInnerList(list([]))).toBe('()');
  });

  it('serialises items and bare items', () => {
    expect(serializeItem(item(str('@query-param'), [['name', str('Pet')]]))).toBe('"@query-param";name="Pet"');
    expect(serializeString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(serializeBareItem(dec(1))).toBe('1.0');
    expect(serializeBareItem(dec(-0.25))).toBe('-0.25');
    expect(serializeBareItem(dec(1.0625))).toBe('1.062'); // round half to even
    expect(serializeBareItem(dec(1.1875))).toBe('1.188');
    expect(serializeBareItem(dec(-0.0001))).toBe('0.0');
    expect(serializeBareItem(bin('AAE'))).toBe(':AAE=:');
    expect(serializeBareItem(bool(false))).toBe('?0');
  });

  it('refuses values that have no serialisation (TypeError)', () => {
    expect(() => serializeString('caf\u00e9')).toThrow(TypeError);
    expect(() => serializeString('a\nb')).toThrow(TypeError);
    expect(() => serializeBareItem(int(1e15))).toThrow(TypeError);
    expect(() => serializeBareItem(int(1.5))).toThrow(TypeError);
    expect(() => serializeBareItem(dec(1e12))).toThrow(TypeError);
    expect(() => serializeBareItem(dec(Number.NaN))).toThrow(TypeError);
    expect(() => serializeBareItem(tok('1abc'))).toThrow(TypeError);
    expect(() => serializeBareItem(tok('a b'))).toThrow(TypeError);
    expect(() => serializeItem(item(int(1), [['Bad', int(1)]]))).toThrow(TypeError);
  });

  it('validates keys', () => {
    expect(['a', '*', 'mdvm-auth-sig', 'sig-b21', 'a_b.c*1'].every(isValidKey)).toBe(true);
    expect(['', 'A', 'Sig1', '1a', '-a', 'a b', 'é'].some(isValidKey)).toBe(false);
  });

  it('parse(serialise(x)) is x for arbitrary inner lists', () => {
    const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    const bareItem: fc.Arbitrary<BareItem> = fc.oneof(
      fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }).map(int),
      fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }).map((n) => dec(n / 1000)),
      fc.string({ unit: printable, maxLength: 12 }).map(str),
      fc.stringMatching(/^[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]{0,8}$/).map(tok),
      fc.uint8Array({ maxLength: 12 }).map((bytes): BareItem => ({ type: 'binary', value: Buffer.from(bytes) })),
      fc.boolean().map(bool),
    );
    const params = fc
      .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z*][a-z0-9_.*-]{0,5}$/), bareItem), {
        maxLength: 4,
        selector: ([key]) => key,
      })
      .map((entries) => new Map(entries));
    const innerList = fc.record({
      items: fc.array(
        fc
          .record({ value: bareItem, params })
          .map(({ value, params: p }): Item => ({ kind: 'item', value, params: p })),
        { maxLength: 5 },
      ),
      params,
    });
    fc.assert(
      fc.property(innerList, (original) => {
        const text = serializeInnerList(original);
        const parsed = member(text);
        expect(parsed).toEqual({ kind: 'inner-list', ...original });
        expect(serializeInnerList(parsed as InnerList)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});
