/**
 * One app instance with BullMQ delivery, in a process of its own, so that a test can kill it with SIGKILL in the
 * middle of a delivery. Started by `forkTs` with its options in LOOPS_INSTANCE (JSON); it answers `ready`, enqueues
 * what it is sent, forwards its `deliveries$` outcomes, and closes the app when told.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { merge } from 'rxjs';
import { LoopsEventsService, LoopsModule, LoopsTransactionalService } from '../../../lib';
import type { SendEventInput } from '../../../lib';
import type { FromInstance, InstanceInput, ToInstance } from './instance-protocol';

const send = (message: FromInstance): void => void process.send?.(message);

async function main(): Promise<void> {
  const input = JSON.parse(process.env.LOOPS_INSTANCE ?? '{}') as InstanceInput;

  @Module({ imports: [LoopsModule.forRoot(input.options)] })
  class InstanceModule {}

  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: ['error'] });
  const loops = app.get(LoopsEventsService);
  const transactional = app.get(LoopsTransactionalService);
  merge(loops.deliveries$, transactional.deliveries$).subscribe((outcome) =>
    send({
      type: 'outcome',
      kind: outcome.kind,
      status: outcome.status,
      idempotencyKey: outcome.status === 'dropped' ? undefined : outcome.idempotencyKey,
      attempts: outcome.status === 'dropped' ? undefined : outcome.attempts,
      error: outcome.status === 'sent' ? undefined : outcome.error.name,
    }),
  );
  process.on('message', (message: ToInstance) => {
    if (message.type === 'enqueue') {
      void Promise.all(
        message.events.map(({ event, transactional: email, idempotencyKey }) =>
          email
            ? transactional.enqueueAsync(email, { idempotencyKey })
            : loops.enqueueEventAsync(event as SendEventInput, { idempotencyKey }),
        ),
      ).then(
        (keys) => send({ type: 'enqueued', keys }),
        (error: Error) => send({ type: 'error', error: error.message }),
      );
    } else if (message.type === 'close') {
      void app.close().then(() => {
        send({ type: 'closed' });
        process.disconnect();
      });
    }
  });
  send({ type: 'ready' });
}

main().catch((error: Error) => {
  send({ type: 'error', error: error.stack ?? error.message });
  process.exit(1);
});
