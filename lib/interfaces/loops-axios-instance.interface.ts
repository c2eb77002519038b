import type { AxiosRequestConfig } from 'axios';

/**
 * What the module needs of an axios instance, such as `HttpService.axiosRef`. Declared here rather than taken from
 * axios's `AxiosInstance`: in an ESM app, TypeScript reads axios's ESM typings for the app (and `@nestjs/axios`) and
 * its CommonJS typings for this package, and two `AxiosInstance`s from those don't match. This one matches both.
 */
export interface LoopsAxiosInstance {
  request(config: AxiosRequestConfig): Promise<unknown>;
}
