import { expect } from 'vitest';
import { KeywardError, type ErrorCategory } from '../../src/errors.js';

/** "CATEGORY CODE" of the KeywardError `run` throws, or "accepted". Anything else fails the test. */
export function outcome(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof KeywardError) return `${error.category} ${error.code}`;
    throw error;
  }
  return 'accepted';
}

/** The same for a promise. */
export async function asyncOutcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KeywardError) return `${error.category} ${error.code}`;
    throw error;
  }
  return 'accepted';
}

/** Runs `action` and returns the KeywardError it throws, failing the test otherwise. */
export function rejection(action: () => unknown): KeywardError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(KeywardError);
    return error as KeywardError;
  }
  throw new Error('expected a KeywardError, but the call succeeded');
}

/** The same for an async action. */
export async function asyncRejection(action: () => Promise<unknown>): Promise<KeywardError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(KeywardError);
    return error as KeywardError;
  }
  throw new Error('expected a KeywardError, but the call succeeded');
}

/** The KeywardError `action` throws, checked for `category` and `code`. */
export function expectRejection(action: () => unknown, category: ErrorCategory, code: string): KeywardError {
  const error = rejection(action);
  expect({ category: error.category, code: error.code }).toEqual({ category, code });
  return error;
}
