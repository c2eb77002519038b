/**
 * Part 5, validation cost, in a child process of its own, through public API only:
 *
 * - `enqueueEvent(plain object)`: everything a caller pays to hand over one event: the idempotency key (a v4 UUID),
 *   `validateSendEvent` (class-transformer's `plainToInstance` of the primitive fields, then the Loops rule
 *   functions), `buildEventBody` and the queue push. The service runs in `dryRun` with `queue.concurrency: 1`: in the
 *   timed synchronous loop at most one delivery starts (the rest wait), and the batch is flushed untimed afterwards.
 * - `enqueueEvent(SendEventDto instance)`: the same minus `plainToInstance` (the service skips it for a DTO).
 * - `validateSync(SendEventDto instance)`: class-validator running the same rules through the DTO's decorators, which
 *   is what `ValidationPipe` does with a `SendEventDto` body.
 *
 * The events are built before each timed loop. Batches alternate between the methods; medians of the batches.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { validateSync } from 'class-validator';
import { LoopsEventsService, LoopsModule, SendEventDto, type SendEventInput } from 'nestjs-loops';
import { serveTask } from '../support/child';
import { median, rotate } from '../support/stats';
import { typicalEvent } from '../support/workload';

export interface ValidationInput {
  batch: number;
  rounds: number;
  warmupBatches: number;
}

export const VALIDATION_METHODS = [
  'enqueueEvent (plain object)',
  'enqueueEvent (SendEventDto)',
  'validateSync',
] as const;
export type ValidationMethod = (typeof VALIDATION_METHODS)[number];

export interface ValidationOutput {
  /** Median µs per event of each method. */
  microsPerEvent: Record<ValidationMethod, number>;
  rounds: Record<ValidationMethod, number>[];
}

const VALIDATOR_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

async function run(input: ValidationInput): Promise<ValidationOutput> {
  @Module({ imports: [LoopsModule.forRoot({ dryRun: true, queue: { concurrency: 1, maxPending: input.batch * 4 } })] })
  class ValidationModule {}
  const app = await NestFactory.createApplicationContext(ValidationModule, { logger: false });
  const loops = app.get(LoopsEventsService);

  const plainEvents = (): SendEventInput[] => Array.from({ length: input.batch }, (_, i) => typicalEvent(i));
  const dtoEvents = (): SendEventDto[] => plainEvents().map((event) => Object.assign(new SendEventDto(), event));
  const methods: Record<ValidationMethod, () => Promise<number>> = {
    'enqueueEvent (plain object)': () => timeEnqueue(plainEvents()),
    'enqueueEvent (SendEventDto)': () => timeEnqueue(dtoEvents()),
    validateSync: async () => {
      const events = dtoEvents();
      const start = performance.now();
      for (const event of events) {
        if (validateSync(event, VALIDATOR_OPTIONS).length > 0) throw new Error('the typical event must be valid');
      }
      return performance.now() - start;
    },
  };
  async function timeEnqueue(events: (SendEventInput | SendEventDto)[]): Promise<number> {
    const start = performance.now();
    for (const event of events) loops.enqueueEvent(event);
    const elapsed = performance.now() - start;
    await loops.flush();
    return elapsed;
  }

  for (let r = 0; r < input.warmupBatches; r++) for (const method of VALIDATION_METHODS) await methods[method]();
  const rounds: Record<ValidationMethod, number>[] = [];
  for (let r = 0; r < input.rounds; r++) {
    const micros = {} as Record<ValidationMethod, number>;
    for (const method of rotate(VALIDATION_METHODS, r))
      micros[method] = ((await methods[method]()) * 1000) / input.batch;
    rounds.push(micros);
  }
  const microsPerEvent = {} as Record<ValidationMethod, number>;
  for (const method of VALIDATION_METHODS) microsPerEvent[method] = median(rounds.map((round) => round[method]));
  return { microsPerEvent, rounds };
}

serveTask(run);
