import { LoopsApiError, LoopsApiErrorDetails } from './loops-api.error';

/** 401/403: Loops rejected the API key. The key itself is never part of the message. */
export class LoopsAuthError extends LoopsApiError {
  constructor(details: LoopsApiErrorDetails) {
    super(details, `Loops rejected the API key (${details.status}); check the apiKey option`);
  }
}
