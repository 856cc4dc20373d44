/** Strict Structured Field Values for HTTP (RFC 8941): see parse.ts. */
export { isValidKey } from './characters.js';
export { parseDictionary, parseItem } from './parse.js';
export * from './serialize.js';
export type * from './types.js';
