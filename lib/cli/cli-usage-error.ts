/** A mistake in how the command was called or set up (arguments, environment, catalog file): exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
