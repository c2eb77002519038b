import { RATE_LIMIT_WINDOW_MS, usedUpRateLimitWindow } from '../delivery/backoff';
import { Inject, Injectable } from '@nestjs/common';
import { LoopsRateLimiter } from '../delivery/loops-rate-limiter';
import { tellLimiter } from '../delivery/tell-limiter';
import { acquireSlot } from '../delivery/acquire-slot';
import type { LoopsApiKeyStatus } from '../interfaces/loops-api-key-status.interface';
import { LoopsLog } from '../logging/loops-log';
import { LOOPS_RESOLVED_OPTIONS, type ResolvedLoopsOptions } from '../loops-options';
import { LoopsTelemetry } from '../telemetry/loops-telemetry';
import { LoopsTransport, type LoopsTransportResponse } from '../transport/loops-transport';
import { redactText } from '../utils/redact';
import { untilAborted } from '../utils/until-aborted';

/**
 * Asks Loops whether it accepts the API key, and remembers the answer: however many callers ask, at most one request
 * goes out per `maxAgeMs`, and callers arriving while it is on its way share it. The request takes a slot of the
 * module's rate limiter like any send, so it never pushes an event into a 429, and is made once, without retries.
 */
@Injectable()
export class ApiKeyCheck {
  private last: { status: LoopsApiKeyStatus; at: number } | undefined;
  private asking: Promise<LoopsApiKeyStatus> | undefined;

  constructor(
    @Inject(LOOPS_RESOLVED_OPTIONS) private readonly options: ResolvedLoopsOptions,
    private readonly transport: LoopsTransport,
    private readonly limiter: LoopsRateLimiter,
    private readonly telemetry: LoopsTelemetry,
    private readonly log: LoopsLog,
  ) {}

  status(maxAgeMs: number): Promise<LoopsApiKeyStatus> {
    if (typeof maxAgeMs !== 'number' || !(maxAgeMs >= 0)) {
      return Promise.reject(new RangeError(`apiKeyStatus: maxAgeMs must be a number >= 0 (got ${String(maxAgeMs)})`));
    }
    if (this.last && Date.now() - this.last.at < maxAgeMs) return Promise.resolve(this.last.status);
    this.asking ??= this.ask()
      .then((status) => {
        this.last = { status, at: Date.now() };
        return status;
      })
      .finally(() => (this.asking = undefined));
    return this.asking;
  }

  private async ask(): Promise<LoopsApiKeyStatus> {
    const { dryRun, timeoutMs } = this.options;
    if (dryRun) return unknown('dryRun is on: no key is used, so none was checked');
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      let release: () => void;
      try {
        release = await acquireSlot(this.limiter, deadline.signal);
      } catch (error) {
        const why = deadline.signal.aborted ? `no rate-limit slot within ${timeoutMs} ms` : (error as Error).message;
        return unknown(`the key was not checked: ${why}`);
      }
      try {
        return this.judge(await untilAborted(this.request(deadline.signal), deadline.signal));
      } catch (error) {
        const why = deadline.signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : redactText(error instanceof Error ? error.message : String(error), this.options.apiKey);
        return unknown(`Loops could not be reached: ${why}`);
      } finally {
        tellLimiter(this.log, 'release', release);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private request(signal: AbortSignal): Promise<LoopsTransportResponse> {
    return this.transport.send({
      method: 'GET',
      url: `${this.options.baseUrl}/api-key`,
      headers: { Accept: 'application/json', Authorization: `Bearer ${this.options.apiKey}` },
      signal,
    });
  }

  private judge(response: LoopsTransportResponse): LoopsApiKeyStatus {
    const { status, body } = response;
    // Counted like every answer of Loops: a 429 here is one of the team's, and the budget left is news.
    this.telemetry.answered(response);
    if (usedUpRateLimitWindow(response)) {
      tellLimiter(this.log, 'pauseFor', () => this.limiter.pauseFor(RATE_LIMIT_WINDOW_MS));
    }
    const checkedAt = new Date();
    if (status >= 200 && status < 300) {
      const teamName = (body as { teamName?: unknown } | undefined)?.teamName;
      if (typeof teamName === 'string') return { state: 'valid', teamName, checkedAt };
      return unknown(`Loops answered ${status} without a team name`);
    }
    if (status === 401 || status === 403) {
      return { state: 'rejected', status, reason: `Loops rejected the API key (${status})`, checkedAt };
    }
    if (status === 429) return unknown("Loops answered 429: the team's rate limit is used up");
    return unknown(`Loops answered ${status}`);
  }
}

function unknown(reason: string): LoopsApiKeyStatus {
  return { state: 'unknown', reason, checkedAt: new Date() };
}
