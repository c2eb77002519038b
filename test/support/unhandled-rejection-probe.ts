/**
 * Runs every failure path of the library in a process of its own and reports, over IPC, each unhandled rejection
 * and uncaught exception Node saw: jest's own `process` hooks never see the ones of the code under test. With
 * PROBE=leak it leaves one on purpose, so that the test can show the probe sees them.
 */
import 'reflect-metadata';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmitLoopsEvent, LoopsEventsService, LoopsModule, type LoopsModuleOptions } from '../../lib';
import { LoopsCompatibleServer, type LoopsServerAnswer } from './loops-server';
import { freePort } from './redis-server';

const seen: string[] = [];
process.on('unhandledRejection', (reason) => seen.push(`unhandledRejection: ${String(reason)}`));
process.on('uncaughtException', (error) => seen.push(`uncaughtException: ${String(error)}`));

@Controller('routes')
class RoutesController {
  @Post('background')
  @HttpCode(200)
  @EmitLoopsEvent({ eventName: 'background', contact: () => ({ userId: 'u1' }) })
  background(): { ok: true } {
    return { ok: true };
  }

  @Post('awaited')
  @HttpCode(200)
  @EmitLoopsEvent({ eventName: 'awaited', mode: 'await', contact: () => ({ userId: 'u2' }) })
  awaited(): { ok: true } {
    return { ok: true };
  }

  @Post('dropped')
  @HttpCode(200)
  @EmitLoopsEvent({
    eventName: 'dropped',
    contact: () => {
      throw new Error('mapper failed');
    },
  })
  dropped(): { ok: true } {
    return { ok: true };
  }
}

async function boot(options: LoopsModuleOptions) {
  @Module({ imports: [LoopsModule.forRoot(options)], controllers: [RoutesController] })
  class ProbeModule {}
  const app = await NestFactory.create(ProbeModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, loops: app.get(LoopsEventsService), url: await app.getUrl() };
}

async function everyFailurePath(): Promise<void> {
  const server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  const faults: LoopsServerAnswer[] = [
    { kind: 'status', status: 400 },
    { kind: 'status', status: 401 },
    { kind: 'status', status: 409 },
    { kind: 'status', status: 429 },
    { kind: 'status', status: 503, rawBody: '<html>down</html>' },
    { kind: 'drop' },
    { kind: 'accept-then-drop' },
    { kind: 'delay', ms: 500 },
  ];
  const { app, loops, url } = await boot({
    apiKey: 'test-key',
    baseUrl: server.baseUrl,
    timeoutMs: 200,
    retry: { attempts: 2, minDelayMs: 5, maxDelayMs: 10 },
    rateLimit: { requestsPerSecond: 50 },
    shutdownTimeoutMs: 100,
  });
  for (const fault of faults) {
    server.respondWith(() => fault);
    await loops.sendEvent({ eventName: 'direct', userId: 'u0' }).catch(() => undefined);
    loops.enqueueEvent({ eventName: 'queued', userId: 'u0' });
    for (const route of ['background', 'awaited', 'dropped']) await fetch(`${url}/routes/${route}`, { method: 'POST' });
    await loops.flush();
  }
  try {
    loops.enqueueEvent({ eventName: 'bad', userId: 'u0', eventProperties: { nested: {} } } as never);
  } catch {
    // Refused at once, as it should be.
  }
  server.respondWith(() => ({ kind: 'delay', ms: 5_000 }));
  for (let index = 0; index < 5; index++) loops.enqueueEvent({ eventName: 'pending', userId: `u${index}` });
  await app.close();
  await server.close();
}

async function bullMqWithoutRedis(): Promise<void> {
  const server = await LoopsCompatibleServer.start({ rateLimitPerSecond: 0 });
  const { app, loops } = await boot({
    apiKey: 'test-key',
    baseUrl: server.baseUrl,
    rateLimit: { requestsPerSecond: 10 },
    timeoutMs: 300,
    shutdownTimeoutMs: 200,
    delivery: { queue: 'bullmq', connection: { host: '127.0.0.1', port: await freePort() }, enqueueTimeoutMs: 200 },
  });
  await loops.sendEvent({ eventName: 'direct', userId: 'u0' }).catch(() => undefined);
  await loops.enqueueEventAsync({ eventName: 'queued', userId: 'u0' }).catch(() => undefined);
  loops.enqueueEvent({ eventName: 'queued', userId: 'u1' });
  await loops.flush(300);
  await app.close();
  await server.close();
}

async function main(): Promise<void> {
  if (process.env.PROBE === 'leak') void Promise.reject(new Error('left unhandled on purpose'));
  else {
    await everyFailurePath();
    await bullMqWithoutRedis();
  }
  // Rejections are reported after the microtask queue drains; give stragglers (timers, sockets) a moment.
  await sleep(200);
  process.send?.({ type: 'report', seen });
  process.disconnect();
}

main().catch((error: Error) => {
  process.send?.({ type: 'report', seen: [...seen, `probe failed: ${error.stack ?? error.message}`] });
  process.disconnect();
});
