import { KeywardError } from '../../src/errors.js';

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
