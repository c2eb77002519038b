import { LoopsConfigurationError } from '../errors/loops-configuration.error';

/** Loads an optional peer dependency only when the option that needs it is chosen. */
export function loadOptionalPeer<T>(name: string, option: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, never for default users
    return require(name) as T;
  } catch {
    throw new LoopsConfigurationError(option, `needs the optional peer dependency "${name}": npm install ${name}`);
  }
}
