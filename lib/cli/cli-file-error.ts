/** A file the CLI had to write could not be written; its message says which and why. */
export class CliFileError extends Error {
  override name = 'CliFileError';
}
