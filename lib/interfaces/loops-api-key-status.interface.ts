/** What Loops said of the API key when last asked (`GET /v1/api-key`): `LoopsEventsService.apiKeyStatus()`. */
export type LoopsApiKeyStatus =
  /** Loops accepts the key. */
  | { state: 'valid'; teamName: string; checkedAt: Date }
  /** Loops refused the key (401 or 403): every event fails until it is replaced. */
  | { state: 'rejected'; status: number; reason: string; checkedAt: Date }
  /** No verdict: Loops could not be reached, answered something else (429, 5xx), or the module runs in `dryRun`. */
  | { state: 'unknown'; reason: string; checkedAt: Date };
