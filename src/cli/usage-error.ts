/** A mistake in how a command was called (missing file, conflicting flags): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
