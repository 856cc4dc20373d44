/** Nesting bound for JSON from the network: deep enough for any document Keyward reads. */
export const MAX_JSON_DEPTH = 64;

/** A JSON object (not null, not an array). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Refuses JSON whose nesting exceeds `maxDepth` or where an object repeats a key (compared
 * decoded, so "a" and "\u0061" are the same key): JSON.parse keeps the last duplicate while other
 * parsers keep the first, so a signed or verified document with duplicates can mean one thing
 * to Keyward and another to the next reader. One linear pass; input that is not JSON is left for
 * JSON.parse to report. Throws what `fail` makes of the reason.
 */
export function checkStrictJson(text: string, fail: (detail: string) => Error, maxDepth = MAX_JSON_DEPTH): void {
  /** One entry per open container: the keys seen for an object, null for an array. */
  const open: (Set<string> | null)[] = [];
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === BACKSLASH) {
          escaped = true;
          i++;
        } else if (inner === QUOTE) break;
      }
      if (i >= text.length) return;
      const keys = open.at(-1);
      if (expectingKey && keys) {
        expectingKey = false;
        const key = escaped ? decodeKey(text.slice(start, i + 1)) : text.slice(start + 1, i);
        if (key === undefined) return;
        if (keys.has(key)) throw fail(`duplicate key ${JSON.stringify(key).slice(0, 40)}`);
        keys.add(key);
      }
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      if (open.length >= maxDepth) throw fail('nested too deeply');
      open.push(char === OPEN_OBJECT ? new Set<string>() : null);
      expectingKey = char === OPEN_OBJECT;
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      open.pop();
      expectingKey = false;
    } else if (char === COMMA) {
      expectingKey = open.at(-1) != null;
    } else if (char === COLON) {
      expectingKey = false;
    }
  }
}

/** A key with escapes, decoded; undefined when the escapes are invalid (JSON.parse then refuses the document). */
function decodeKey(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}

/** JSON.parse after `checkStrictJson`; invalid JSON, too deep nesting and duplicate keys all throw what `fail` makes. */
export function parseStrictJson(text: string, fail: (detail: string) => Error, maxDepth = MAX_JSON_DEPTH): unknown {
  checkStrictJson(text, fail, maxDepth);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw fail((error as Error).message);
  }
}
