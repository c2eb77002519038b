import { LoopsApiError, LoopsApiErrorDetails } from './loops-api.error';

/** 429: over Loops' rate limit. `limit`/`remaining` come from the `x-ratelimit-*` headers, when sent. */
export class LoopsRateLimitError extends LoopsApiError {
  constructor(
    details: LoopsApiErrorDetails,
    readonly limit: number | undefined,
    readonly remaining: number | undefined,
  ) {
    super(details, `Loops rate limit exceeded (429${limit === undefined ? '' : `, limit ${limit}/s`})`);
  }
}
