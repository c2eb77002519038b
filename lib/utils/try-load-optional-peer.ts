/**
 * Loads an optional peer dependency that a feature uses when the app has it and does without otherwise:
 * `undefined` when it is not installed. Any other failure to load it is thrown: a broken install must show.
 */
export function tryLoadOptionalPeer<T>(name: string): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, only when installed
    return require(name) as T;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${name}'`)) return undefined;
    throw error;
  }
}
