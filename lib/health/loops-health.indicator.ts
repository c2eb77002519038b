import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import type { LoopsQueueStatus } from '../interfaces/loops-queue-status.interface';
import { LoopsEventsService } from '../loops-events.service';
import { loadOptionalPeer } from '../utils/load-optional-peer';

/**
 * A health indicator's result, as `@nestjs/terminus` reads it: `{ [key]: { status: 'up' | 'down', ...details } }`.
 * A down result says why in `reason`.
 */
export type LoopsHealthIndicatorResult = Record<string, { status: 'up' | 'down'; [detail: string]: unknown }>;

/** The part of Terminus' `HealthIndicatorService` (Terminus 11 and later) this indicator uses. */
interface HealthIndicatorServiceLike {
  check(key: string): {
    up(data?: Record<string, unknown>): LoopsHealthIndicatorResult;
    down(data?: Record<string, unknown>): LoopsHealthIndicatorResult;
  };
}

/** How long an answer of Loops about the key is reused, by default. */
const DEFAULT_KEY_MAX_AGE_MS = 60_000;

/**
 * Health checks of the Loops integration for `@nestjs/terminus`, each usable alone: whether Loops accepts the API
 * key, how many events are pending, how long the oldest one has waited, and, with BullMQ, whether Redis answers.
 * Provide it next to `TerminusModule`; `@nestjs/terminus` (11 or later) is an optional peer, loaded only here.
 */
@Injectable()
export class LoopsHealthIndicator implements OnModuleInit {
  private indicators: HealthIndicatorServiceLike | undefined;

  constructor(
    private readonly loops: LoopsEventsService,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    this.indicators = this.findIndicatorService();
  }

  /**
   * Up while Loops accepts the API key (`GET /v1/api-key`). The answer is reused for `maxAgeMs` (default 60 s), so
   * that probes cost at most one Loops request per period, whatever their number; it goes through the module's rate
   * limiter. Down when Loops rejects the key, or can't tell (unreachable, 5xx, 429): `reason` says which.
   */
  async checkApiKey(key: string, options: { maxAgeMs?: number } = {}): Promise<LoopsHealthIndicatorResult> {
    const maxAgeMs = readLimit(options.maxAgeMs ?? DEFAULT_KEY_MAX_AGE_MS, 'checkApiKey', 'maxAgeMs');
    const status = await this.loops.apiKeyStatus({ maxAgeMs });
    const checkedAt = status.checkedAt.toISOString();
    const session = this.session(key);
    if (status.state === 'valid') return session.up({ checkedAt });
    return session.down({ reason: status.reason, checkedAt });
  }

  /** Up while at most `maxPending` events are waiting, delayed or being delivered. */
  async checkQueueDepth(key: string, options: { maxPending: number }): Promise<LoopsHealthIndicatorResult> {
    const maxPending = readLimit(options?.maxPending, 'checkQueueDepth', 'maxPending', true);
    return this.withQueue(key, ({ queue, waiting, active, delayed, failed }) => {
      const pending = waiting + active + delayed;
      const details = { queue, pending, waiting, active, delayed, failed, maxPending };
      if (pending <= maxPending) return this.session(key).up(details);
      return this.session(key).down({ ...details, reason: `${pending} events pending, more than ${maxPending}` });
    });
  }

  /** Up while no event has waited for a worker longer than `maxAgeMs` since it was enqueued. */
  async checkOldestWaiting(key: string, options: { maxAgeMs: number }): Promise<LoopsHealthIndicatorResult> {
    const maxAgeMs = readLimit(options?.maxAgeMs, 'checkOldestWaiting', 'maxAgeMs');
    return this.withQueue(key, ({ queue, waiting, oldestWaitingMs }) => {
      const details = { queue, waiting, oldestWaitingMs, maxAgeMs };
      if (oldestWaitingMs <= maxAgeMs) return this.session(key).up(details);
      return this.session(key).down({
        ...details,
        reason: `the oldest waiting event was enqueued ${oldestWaitingMs} ms ago, more than ${maxAgeMs} ms`,
      });
    });
  }

  /** With BullMQ delivery, up while the queue's Redis answers. In-memory delivery has no Redis: always up. */
  async checkRedis(key: string): Promise<LoopsHealthIndicatorResult> {
    if (this.loops.backgroundQueue === 'memory') {
      return this.session(key).up({ queue: 'memory', message: 'in-memory delivery uses no Redis' });
    }
    return this.withQueue(key, () => this.session(key).up({ queue: 'bullmq' }));
  }

  private async withQueue(
    key: string,
    judge: (status: LoopsQueueStatus) => LoopsHealthIndicatorResult,
  ): Promise<LoopsHealthIndicatorResult> {
    let status: LoopsQueueStatus;
    try {
      status = await this.loops.queueStatus();
    } catch (error) {
      return this.session(key).down({
        queue: this.loops.backgroundQueue,
        reason: `the queue could not be read: ${(error as Error).message}`,
      });
    }
    return judge(status);
  }

  private session(key: string): ReturnType<HealthIndicatorServiceLike['check']> {
    this.indicators ??= this.findIndicatorService();
    return this.indicators.check(key);
  }

  private findIndicatorService(): HealthIndicatorServiceLike {
    const terminus = loadOptionalPeer<{ HealthIndicatorService?: new () => HealthIndicatorServiceLike }>(
      '@nestjs/terminus',
      'LoopsHealthIndicator',
    );
    const { HealthIndicatorService } = terminus;
    if (!HealthIndicatorService) {
      throw new LoopsConfigurationError(
        'LoopsHealthIndicator',
        'needs @nestjs/terminus 11 or later, which has HealthIndicatorService: npm install @nestjs/terminus@latest',
      );
    }
    try {
      return this.moduleRef.get(HealthIndicatorService, { strict: false });
    } catch {
      throw new LoopsConfigurationError(
        'LoopsHealthIndicator',
        'needs TerminusModule: import it in the module that provides LoopsHealthIndicator',
      );
    }
  }
}

function readLimit(value: unknown, check: string, field: string, integer = false): number {
  const valid = typeof value === 'number' && value >= 0 && (integer ? Number.isInteger(value) : Number.isFinite(value));
  if (valid) return value;
  const kind = integer ? 'an integer' : 'a finite number';
  throw new RangeError(`LoopsHealthIndicator.${check}: ${field} must be ${kind} >= 0 (got ${String(value)})`);
}
