/**
 * A Nest app instrumented the way production apps are (otel-sdk.ts, loaded first), in a process of its own so that
 * the HTTP instrumentation sees `http` before anything else loads it. It listens on 127.0.0.1, answers `ready` with
 * its port, and on `collect` waits for its queue to settle and sends back every span and metric point.
 */
import { metricExporter, metricReader, spanExporter } from './otel-sdk';
import 'reflect-metadata';
import { Body, Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EmitLoopsEvent, LoopsEventsService, LoopsModule } from '../../../lib';
import { toMetricPoints, toSpanRecord } from './otel-snapshot';
import type { FromTracedApp, ToTracedApp, TracedAppInput } from './traced-app-protocol';

const send = (message: FromTracedApp): void => void process.send?.(message);

@Controller()
class AccountsController {
  constructor(private readonly loops: LoopsEventsService) {}

  @Post('accounts')
  @EmitLoopsEvent({ eventName: 'signup', eventProperties: { plan: 'secret-plan-value' } })
  signUp(@Body() body: { email: string }): { email: string } {
    return { email: body.email };
  }

  @Post('receipts')
  async receipt(@Body() body: { email: string }): Promise<{ attempts: number }> {
    const result = await this.loops.sendEvent({
      eventName: 'receipt',
      email: body.email,
      eventProperties: { amount: 'secret-amount-value' },
    });
    return { attempts: result.attempts };
  }
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.TRACED_APP ?? '{}') as TracedAppInput;

  @Module({ imports: [LoopsModule.forRoot(input.options)], controllers: [AccountsController] })
  class TracedModule {}

  const app = await NestFactory.create(TracedModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const loops = app.get(LoopsEventsService);
  process.on('message', (message: ToTracedApp) => {
    if (message.type !== 'collect') return;
    void (async () => {
      if (!(await loops.flush(20_000))) throw new Error('the queue did not settle within 20 s');
      await metricReader.forceFlush();
      send({
        type: 'collected',
        spans: spanExporter.getFinishedSpans().map(toSpanRecord),
        metrics: toMetricPoints(metricExporter.getMetrics()),
      });
    })().catch((error: Error) => send({ type: 'error', error: error.stack ?? error.message }));
  });
  send({ type: 'ready', port: (app.getHttpServer().address() as { port: number }).port });
}

main().catch((error: Error) => {
  send({ type: 'error', error: error.stack ?? error.message });
  process.exit(1);
});
