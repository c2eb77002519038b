import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import type { LoopsAxiosInstance } from '../interfaces/loops-axios-instance.interface';

/**
 * Checks the `axiosInstance` option: an axios instance such as `HttpService.axiosRef`, or nothing. Duck-typed
 * rather than `instanceof`: the app's axios may be another copy than ours (its ESM build, our CommonJS one).
 */
export function readAxiosInstance(value: unknown): LoopsAxiosInstance | undefined {
  if (value === undefined) return undefined;
  if (isAxiosInstance(value)) return value;
  if (typeof value === 'object' && value !== null && 'axiosRef' in value && isAxiosInstance(value.axiosRef)) {
    throw new LoopsConfigurationError('axiosInstance', 'must be an axios instance: pass httpService.axiosRef');
  }
  throw new LoopsConfigurationError(
    'axiosInstance',
    `must be an axios instance, such as HttpService.axiosRef (got ${describe(value)})`,
  );
}

function isAxiosInstance(value: unknown): value is LoopsAxiosInstance {
  if (typeof value !== 'function') return false;
  const candidate = value as { request?: unknown; interceptors?: { request?: { use?: unknown } } };
  return typeof candidate.request === 'function' && typeof candidate.interceptors?.request?.use === 'function';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function without request() and interceptors';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
