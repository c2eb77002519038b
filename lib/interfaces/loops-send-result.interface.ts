export interface LoopsSendResult {
  success: true;
  /** The key every attempt carried: the caller's, or a generated v4 UUID. */
  idempotencyKey: string;
  /** Requests made, retries included; 0 in dry-run mode. */
  attempts: number;
  /** A retry was answered 409: an earlier attempt had been accepted and its answer lost. */
  deduplicated: boolean;
  /** Logged instead of sent (`dryRun: true`). */
  dryRun: boolean;
}

export interface SendEventOptions {
  /** 1 to 100 printable ASCII characters. Default: a fresh v4 UUID. */
  idempotencyKey?: string;
  /** Cancels the send, its retries and waits included; the send then rejects with `LoopsNetworkError`. */
  signal?: AbortSignal;
}
