// A child app for awaited-sends-hold-shutdown.spec.ts: LoopsModule with its defaults but shutdownTimeoutMs, shutdown
// hooks enabled as README says, one await-mode route, and every outcome and log line written to OUT_FILE as it happens.
import 'reflect-metadata';
import { appendFileSync } from 'node:fs';
import { Controller, Module, Post, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EmitLoopsEvent, LoopsEventsService, LoopsModule } from '../../lib';

const write = (record: unknown): void => appendFileSync(process.env.OUT_FILE as string, `${JSON.stringify(record)}\n`);

class FileLogger implements LoggerService {
  log(message: unknown): void {
    write({ level: 'log', message: String(message) });
  }
  error(message: unknown): void {
    write({ level: 'error', message: String(message) });
  }
  warn(message: unknown): void {
    write({ level: 'warn', message: String(message) });
  }
}

@Controller('accounts')
class AccountsController {
  @Post('delete')
  @EmitLoopsEvent({ eventName: 'accountDeleted', contact: () => ({ userId: 'route-user' }), mode: 'await' })
  remove(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  imports: [LoopsModule.forRoot({ apiKey: 'test-key', baseUrl: process.env.LOOPS_BASE_URL, shutdownTimeoutMs: 500 })],
  controllers: [AccountsController],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: new FileLogger() });
  app.enableShutdownHooks();
  const loops = app.get(LoopsEventsService);
  loops.deliveries$.subscribe((outcome) =>
    write({ outcome: outcome.status, key: outcome.status === 'dropped' ? undefined : outcome.idempotencyKey }),
  );
  await app.listen(0, '127.0.0.1');
  const keys = Array.from({ length: 5 }, (_, index) =>
    loops.enqueueEvent({ eventName: 'invoicePaid', userId: `u${index}` }),
  );
  process.send?.({ type: 'ready', port: (app.getHttpServer().address() as { port: number }).port, keys });
}
main().catch((error: unknown) => process.send?.({ type: 'error', error: String(error) }));
