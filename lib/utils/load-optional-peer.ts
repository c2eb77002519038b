import { LoopsConfigurationError } from '../errors/loops-configuration.error';

/**
 * Loads an optional peer dependency only when the option that needs it is chosen. When it is missing, the error
 * also names the missing ones of `usedWith`, the peers the same option needs, so that one install fixes the boot.
 */
export function loadOptionalPeer<T>(name: string, option: string, usedWith: readonly string[] = []): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, never for default users
    return require(name) as T;
  } catch {
    const missing = [name, ...usedWith.filter((peer) => !isInstalled(peer))];
    const listed = missing.map((peer) => `"${peer}"`).join(' and ');
    const what = missing.length > 1 ? 'dependencies' : 'dependency';
    throw new LoopsConfigurationError(
      option,
      `needs the optional peer ${what} ${listed}: npm install ${missing.join(' ')}`,
    );
  }
}

function isInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}
