import type { AxiosInstance } from 'axios';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';

/**
 * Checks the `axiosInstance` option: an axios instance such as `HttpService.axiosRef`, or nothing. Duck-typed
 * rather than `instanceof`: the app's axios may be another copy than ours (its ESM build, our CommonJS one).
 */
export function readAxiosInstance(value: unknown): AxiosInstance | undefined {
  if (value === undefined) return undefined;
  if (isAxiosInstance(value)) return value;
  if (typeof value === 'object' && value !== null && 'axiosRef' in value && isAxiosInstance(value.axiosRef)) {
    throw new LoopsConfigurationError('axiosInstance', 'must be an axios instance: pass httpService.axiosRef');
  }
  const got = value === null ? 'null' : `a ${typeof value}`;
  throw new LoopsConfigurationError(
    'axiosInstance',
    `must be an axios instance, such as HttpService.axiosRef (got ${got} without request() and interceptors)`,
  );
}

function isAxiosInstance(value: unknown): value is AxiosInstance {
  if (typeof value !== 'function') return false;
  const candidate = value as Partial<AxiosInstance>;
  return typeof candidate.request === 'function' && typeof candidate.interceptors?.request?.use === 'function';
}
