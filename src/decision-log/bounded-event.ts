import type { NewDecisionEvent } from '../store/console-store.js';

/** The most a summary takes as JSON: a decision row stays small whatever a caller passes. */
export const MAX_SUMMARY_CHARS = 2048;
const MAX_STRING = 200;
const MAX_ITEMS = 16;
const MAX_DEPTH = 4;

/**
 * Keys never kept, at any depth: tokens, codes, passwords, nonces and challenges, private key
 * members (JWK d, p, q, dp, dq, qi; k of a symmetric key). The log is read by every operator.
 */
const SECRET_KEY =
  /token|secret|passw|private|cookie|authori[sz]ation|nonce|challenge|verifier|code$|^(d|p|q|dp|dq|qi|k)$/i;

/** The event as it is written: summary bounded and secret-free, the searchable fields cut to their column sizes. */
export function boundedEvent(event: NewDecisionEvent): NewDecisionEvent {
  const bounded: NewDecisionEvent = {
    at: event.at,
    capability: cut(event.capability, 32),
    operation: cut(event.operation, 32),
    platform: cut(event.platform, 32),
    outcome: event.outcome,
    summary: boundedSummary(event.summary),
  };
  if (event.category !== undefined) bounded.category = event.category;
  if (event.code !== undefined) bounded.code = cut(event.code, 64);
  if (event.subject !== undefined) bounded.subject = cut(event.subject, 256);
  if (event.requestId !== undefined) bounded.requestId = cut(event.requestId, 64);
  return bounded;
}

/** A copy without secret keys, long strings cut, long arrays and deep nesting trimmed, at most MAX_SUMMARY_CHARS of JSON (`truncated: true` when keys were left out). */
export function boundedSummary(summary: Record<string, unknown>): Record<string, unknown> {
  const bounded: Record<string, unknown> = {};
  // Room for the truncation marker, so the result stays within the bound with it.
  let room = MAX_SUMMARY_CHARS - 2 - ',"truncated":true'.length;
  for (const [key, value] of Object.entries(summary ?? {})) {
    if (SECRET_KEY.test(key) || value === undefined) continue;
    const kept = plain(value, 1);
    const size = jsonLength(key, kept);
    if (size > room) {
      bounded.truncated = true;
      continue;
    }
    bounded[key] = kept;
    room -= size;
  }
  return bounded;
}

function plain(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cut(value, MAX_STRING);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return value.toString();
  if (depth > MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => plain(item, depth + 1));
  if (typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    let count = 0;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_KEY.test(key) || item === undefined) continue;
      if (++count > MAX_ITEMS * 2) break;
      copy[key] = plain(item, depth + 1);
    }
    return copy;
  }
  // Functions, symbols: nothing worth keeping.
  return String(value).slice(0, MAX_STRING);
}

/** What `"key":value,` adds to the JSON. */
const jsonLength = (key: string, value: unknown) => JSON.stringify(key).length + JSON.stringify(value).length + 2;

const cut = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);
