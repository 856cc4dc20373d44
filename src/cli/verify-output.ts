import { isKeywardError } from '../errors.js';

/** `value` as indented JSON on stdout. */
export const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/**
 * Runs a verification and prints one JSON object: `{"verified": true, "platform", …facts}` and
 * exit code 0, or `{"verified": false, "category", "code", "message"}` and exit code 1 for a
 * rejected proof. Anything that is not a KeywardError propagates (usage errors exit 2).
 */
export async function printVerification<T extends object>(verify: () => Promise<T> | T): Promise<void> {
  try {
    const result = await verify();
    printJson({ verified: true, ...result });
    process.exitCode = 0;
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    const rejection: Record<string, unknown> = {
      verified: false,
      category: error.category,
      code: error.code,
      message: error.message,
    };
    if (error.detail) rejection.detail = error.detail;
    printJson(rejection);
    process.exitCode = 1;
  }
}
