/** A configuration mistake: stops the process at start with a message naming the option. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A ConfigError for `problem`, worded as every configuration error is ("invalid configuration: …"). */
export const invalidConfiguration = (problem: string, options?: ErrorOptions) =>
  new ConfigError(`invalid configuration: ${problem}`, options);
