/** A mistake in how a command was called (missing file, conflicting flags): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs `build`, a configuration mistake in a flag's file (a root, CRL or status list that does not read) becoming a UsageError: exit 2. */
export function asUsageError<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message.replace(/^invalid configuration: /, ''));
  }
}
