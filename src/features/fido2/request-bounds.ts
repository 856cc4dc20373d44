import { contentError } from '../../errors.js';

/** Longest user name accepted (after NFC normalisation), as the request schemas allow. */
export const MAX_USER_NAME_LENGTH = 256;
/** How deep a WebAuthn extension's value may nest objects and arrays. */
export const MAX_EXTENSION_DEPTH = 8;

/** C0 controls, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates. */
const FORBIDDEN_IN_USER_NAME = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/**
 * The user name as stored and looked up: NFC, so visually identical names in different Unicode
 * forms are one user. USER_NAME_INVALID when it holds control characters or bidi overrides (which
 * could make one name display as another) or is too long once normalised.
 */
export function normaliseUserName(userName: string): string {
  const normalised = userName.normalize('NFC');
  const forbidden = FORBIDDEN_IN_USER_NAME.exec(normalised);
  if (forbidden)
    throw contentError('USER_NAME_INVALID', 'The user name contains a control character or a bidirectional override.', {
      detail: `U+${forbidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at ${forbidden.index}`,
    });
  if (normalised.length > MAX_USER_NAME_LENGTH)
    throw contentError('USER_NAME_INVALID', `The user name is longer than ${MAX_USER_NAME_LENGTH} characters.`);
  return normalised;
}

/**
 * Refuses WebAuthn extensions (inputs or client outputs) whose values nest objects or arrays more
 * than MAX_EXTENSION_DEPTH levels deep (the extensions record itself is level 0), with
 * EXTENSIONS_TOO_DEEP. Walks without recursion, so a hostile depth cannot overflow the stack.
 */
export function assertExtensionsBounded(extensions: unknown, field = 'extensions'): void {
  if (extensions === null || typeof extensions !== 'object') return;
  const pending: { value: object; depth: number }[] = [{ value: extensions, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    for (const child of Object.values(value)) {
      if (child === null || typeof child !== 'object') continue;
      if (depth + 1 > MAX_EXTENSION_DEPTH)
        throw contentError('EXTENSIONS_TOO_DEEP', `${field} nest values deeper than ${MAX_EXTENSION_DEPTH} levels.`);
      pending.push({ value: child, depth: depth + 1 });
    }
  }
}
