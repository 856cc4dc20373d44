import { Tag } from 'cbor2';

/**
 * Data element values as JSON, for printing a verification (the CLI's `verify mdoc`): byte
 * strings as base64url, tdate (tag 0) and full-date (tag 1004) as their text, other tags as
 * {tag, value}, maps as objects (non-text keys as their decimal or JSON text), big integers as
 * decimal text. Verification itself works on the decoded values, never on these.
 */
export function mdocValueToJson(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64url');
  if (value instanceof Tag) {
    const tag = Number(value.tag);
    if ((tag === 0 || tag === 1004) && typeof value.contents === 'string') return value.contents;
    return { tag, value: mdocValueToJson(value.contents) };
  }
  if (value instanceof Map) {
    return Object.fromEntries(
      [...value].map(([key, inner]) => [
        typeof key === 'string' ? key : JSON.stringify(mdocValueToJson(key)),
        mdocValueToJson(inner),
      ]),
    );
  }
  if (Array.isArray(value)) return value.map(mdocValueToJson);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  // cbor2 Simple values and anything else: their text.
  return String(value);
}

/** A namespaces record (namespace → element → value) as JSON values. */
export const mdocNamespacesToJson = (
  namespaces: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> =>
  Object.fromEntries(
    Object.entries(namespaces).map(([namespace, elements]) => [
      namespace,
      Object.fromEntries(Object.entries(elements).map(([element, value]) => [element, mdocValueToJson(value)])),
    ]),
  );
