import { RESPONSE, type ResponseType } from '../../features/provisioning/protocol/message-types.js';
import { decodePlain } from './wire.js';

/**
 * Keyward's (or any issuer's) replies as the simulated holder reads them: one CBOR map with a
 * messageType of PROTOCOLS.md §7, eSessionId (text) and the reply's fields. A reply that is not
 * one is an Error (the holder is a test tool: it stops, it does not recover).
 */

export interface Reply {
  messageType: ResponseType;
  /** eSessionId; absent only on an EndSessionMessage that ends a session never opened. */
  sessionId?: string;
  fields: Map<string, unknown>;
}

const RESPONSE_TYPES = new Set<string>(Object.values(RESPONSE));

export function readReply(bytes: Uint8Array): Reply {
  const value = decodePlain(bytes, 'reply');
  if (!(value instanceof Map)) throw new Error('the reply is not a CBOR map');
  const messageType = value.get('messageType');
  if (typeof messageType !== 'string' || !RESPONSE_TYPES.has(messageType)) {
    throw new Error(`the reply's messageType ${JSON.stringify(messageType)} is not a known reply`);
  }
  const sessionId = value.get('eSessionId');
  if (sessionId !== undefined && typeof sessionId !== 'string') throw new Error('the reply eSessionId is not text');
  const fields = new Map<string, unknown>();
  for (const [key, item] of value) {
    if (key !== 'messageType' && key !== 'eSessionId') fields.set(String(key), item);
  }
  return { messageType: messageType as ResponseType, ...(sessionId !== undefined ? { sessionId } : {}), fields };
}

/** A field of `reply`, checked with `is`; an Error naming it otherwise. */
export function replyField<T>(reply: Reply, name: string, is: (value: unknown) => value is T, what: string): T {
  const value = reply.fields.get(name);
  if (!is(value)) throw new Error(`${reply.messageType}: ${name} is not ${what}`);
  return value;
}

export const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;
export const isText = (value: unknown): value is string => typeof value === 'string';
export const isArray = (value: unknown): value is unknown[] => Array.isArray(value);
export const isMap = (value: unknown): value is Map<unknown, unknown> => value instanceof Map;
