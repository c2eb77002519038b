/**
 * Part 1's app under load, in a process of its own so that autocannon (in the parent) does not share its event
 * loop: a Nest Express app with the same handler body on four routes: `/plain`, `/decorated` (with
 * `@EmitLoopsEvent('benchEvent')`, background, the contact taken from the result) and, for reference,
 * `/noop-interceptor` (an interceptor that does nothing: the floor any interceptor-based decorator starts from) and
 * `/operator-interceptor` (one pass-through operator on the handler's stream: the floor of any interceptor that acts
 * once the handler is done, as Nest's own ClassSerializerInterceptor does with `map`).
 *
 * IPC: `{ type: 'start', options }` (LoopsModule options) is answered `{ type: 'listening', url }`;
 * `{ type: 'stats' }` is answered with the delivery outcomes seen so far, `{ type: 'cpu' }` with the CPU time used
 * and the time garbage collection held the main thread. SIGTERM exits at once: the queued events are not drained
 * (shutdown would wait for them at 10/s).
 */
import 'reflect-metadata';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { NestFactory } from '@nestjs/core';
import { PerformanceObserver } from 'node:perf_hooks';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { EmitLoopsEvent, LoopsEventsService, LoopsModule, type LoopsModuleOptions } from 'nestjs-loops';

export interface AppStatsMessage {
  type: 'stats';
  pending: number;
  sent: number;
  failed: number;
  dropped: number;
  firstProblem?: string;
  heapUsedBytes: number;
  rssBytes: number;
}

/** CPU time (user + system, µs) the app process has used so far, and the time its garbage collections took. */
export interface AppCpuMessage {
  type: 'cpu';
  micros: number;
  gcMicros: number;
}

function handlerBody(): { id: number; userId: string; email: string; plan: string } {
  return { id: 42, userId: 'user-42', email: 'ada@example.com', plan: 'pro' };
}

/** Does nothing: what Nest's interceptor machinery alone costs a route, for reference. */
@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

/** Passes each value through one operator: what acting on the handler's result costs before doing anything. */
@Injectable()
class PassThroughInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value: unknown) => value));
  }
}

@Controller()
class BenchController {
  @Get('plain')
  plain(): ReturnType<typeof handlerBody> {
    return handlerBody();
  }

  @Get('noop-interceptor')
  @UseInterceptors(NoopInterceptor)
  noopInterceptor(): ReturnType<typeof handlerBody> {
    return handlerBody();
  }

  @Get('operator-interceptor')
  @UseInterceptors(PassThroughInterceptor)
  operatorInterceptor(): ReturnType<typeof handlerBody> {
    return handlerBody();
  }

  @Get('decorated')
  @EmitLoopsEvent('benchEvent')
  decorated(): ReturnType<typeof handlerBody> {
    return handlerBody();
  }
}

async function start(options: LoopsModuleOptions): Promise<void> {
  @Module({ imports: [LoopsModule.forRoot(options)], controllers: [BenchController] })
  class BenchAppModule {}

  const app = await NestFactory.create<NestExpressApplication>(BenchAppModule, { logger: false });
  const loops = app.get(LoopsEventsService);
  const counts = { sent: 0, failed: 0, dropped: 0 };
  let firstProblem: string | undefined;
  loops.deliveries$.subscribe((outcome) => {
    counts[outcome.status]++;
    if (outcome.status !== 'sent') firstProblem ??= `${outcome.status}: ${outcome.error?.message}`;
  });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();

  // The collections' pauses of the main thread: where the events a decorated route leaves queued are paid for later.
  let gcMillis = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMillis += entry.duration;
  }).observe({ entryTypes: ['gc'] });

  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ type: 'cpu', micros: user + system, gcMicros: gcMillis * 1000 } satisfies AppCpuMessage);
      return;
    }
    if (message?.type !== 'stats') return;
    const { heapUsed, rss } = process.memoryUsage();
    process.send?.({
      type: 'stats',
      pending: loops.pendingCount,
      ...counts,
      firstProblem,
      heapUsedBytes: heapUsed,
      rssBytes: rss,
    } satisfies AppStatsMessage);
  });
  process.send?.({ type: 'listening', url: url.replace('[::1]', '127.0.0.1') });
}

process.once('message', (message: { type?: string; options?: LoopsModuleOptions }) => {
  if (message?.type !== 'start' || !message.options) return;
  start(message.options).catch((error: unknown) => {
    process.send?.({ type: 'error', message: error instanceof Error ? error.stack : String(error) });
    process.exit(1);
  });
});
// process.exit() rather than the default SIGTERM death, so that --cpu-prof can write its profile.
process.once('SIGTERM', () => process.exit(0));
process.once('disconnect', () => process.exit(0));
