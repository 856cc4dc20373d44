import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJson } from './strict-json.js';

class Refused extends Error {}
const fail = (detail: string) => new Refused(detail);

/** The parsed value, or "refused: <detail>". */
const parse = (text: string): unknown => {
  try {
    return parseStrictJson(text, fail);
  } catch (error) {
    if (error instanceof Refused) return `refused: ${error.message}`;
    throw error;
  }
};

describe('parseStrictJson', () => {
  it.each([
    ['{"a":1,"b":2}', { a: 1, b: 2 }],
    ['[{"a":1},{"a":2}]', [{ a: 1 }, { a: 2 }]],
    ['{"a":{"a":{"a":1}},"b":{"a":2}}', { a: { a: { a: 1 } }, b: { a: 2 } }],
    ['{"a":"\\"a\\":1,\\"a\\"","b":"{\\"a\\":1}"}', { a: '"a":1,"a"', b: '{"a":1}' }],
    ['{"a":["a","a",{"a":1}],"b":"a"}', { a: ['a', 'a', { a: 1 }], b: 'a' }],
    ['{"a\\\\":1,"a":2}', { 'a\\': 1, a: 2 }],
    ['{"":1,"\\u0000":2}', { '': 1, '\u0000': 2 }],
    ['"a"', 'a'],
    ['{"__proto__":1,"x":2}', JSON.parse('{"__proto__":1,"x":2}')],
  ])('accepts %s', (text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it.each([
    ['{"a":1,"a":2}', 'duplicate key "a"'],
    ['{"a":1,"b":{"c":[{"d":1,"d":1}]}}', 'duplicate key "d"'],
    ['[[[{"x":{"y":1,"z":2,"y":3}}]]]', 'duplicate key "y"'],
    ['{"a":1,"\\u0061":2}', 'duplicate key "a"'],
    ['{"\\u00e9":1,"é":2}', 'duplicate key "é"'],
    ['{"\\/":1,"/":2}', 'duplicate key "/"'],
    ['{"typ":"android-key","x5c":["AA"],"x5c":["BB"]}', 'duplicate key "x5c"'],
    ['{"a":{"b":1},"c":2,"a":3}', 'duplicate key "a"'],
    ['{ "a" : 1 ,\n "a" : 1 }', 'duplicate key "a"'],
    ['{"__proto__":1,"__proto__":2}', 'duplicate key "__proto__"'],
  ])('refuses the duplicate keys of %s', (text, detail) => {
    expect(parse(text)).toBe(`refused: ${detail}`);
  });

  it('bounds nesting before parsing', () => {
    expect(parse(`${'['.repeat(64)}${']'.repeat(64)}`)).toEqual(expect.any(Array));
    expect(parse(`${'['.repeat(65)}${']'.repeat(65)}`)).toBe('refused: nested too deeply');
    expect(parse('{"a":'.repeat(65))).toBe('refused: nested too deeply');
    expect(parseStrictJson('[[1]]', fail, 2)).toEqual([[1]]);
    expect(() => parseStrictJson('[[[1]]]', fail, 2)).toThrow('nested too deeply');
  });

  it.each([
    '',
    '{',
    '{"a":1,"a"',
    '{"a',
    '{"a\\',
    '{"\\uZZZZ":1,"\\uZZZZ":2',
    '}}]]{',
    '{"a":1}}',
    'nul',
    '{a:1,a:2}',
    '{"a" 1, "a" 2}',
    '\u0000',
  ])('refuses invalid JSON %j as JSON.parse does', (text) => {
    expect(parse(text)).toMatch(/^refused: /);
  });

  it('reads any JSON without duplicates exactly as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        expect(parse(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('refuses a key repeated in an object at any depth, however it is escaped', () => {
    const escapeAll = (key: string) =>
      `"${[...key].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
    fc.assert(
      fc.property(
        fc.string({ maxLength: 8 }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.nat({ max: 10 }),
        fc.boolean(),
        (key, value, depth, escaped) => {
          const member = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
          let text = `{${member},${escaped ? escapeAll(key) : JSON.stringify(key)}:1}`;
          for (let level = 0; level < depth; level++) text = level % 2 === 0 ? `[0,${text}]` : `{"k${level}":${text}}`;
          expect(parse(text)).toBe(`refused: duplicate key ${JSON.stringify(key).slice(0, 40)}`);
        },
      ),
    );
  });

  it('never fails otherwise than JSON.parse on garbage, and agrees with it when it parses', () => {
    const unit = fc.constantFrom(...'{}[]":,\\ua1 \n'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (text) => {
        const result = parse(text);
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          expect(result).toMatch(/^refused: /);
          return;
        }
        if (typeof result === 'string' && result.startsWith('refused: '))
          expect(result).toMatch(/^refused: (duplicate key|nested too deeply)/);
        else expect(result).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('scans large inputs in linear time', () => {
    const many = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":"${'\\"'.repeat(3)}"`).join(',')}}`;
    const started = performance.now();
    expect(parse(many)).toEqual(expect.any(Object));
    expect(parse(`${'"'.repeat(1)}${'\\'.repeat(1_000_001)}`)).toMatch(/^refused: /);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
