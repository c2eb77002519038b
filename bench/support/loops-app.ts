import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { LoopsModule as CurrentLoopsModule, LoopsModuleOptions } from 'nestjs-loops';

/**
 * A Nest application context holding only `LoopsModule` with `options`, logging nothing. `LoopsModule` comes from
 * the caller: the package as an app loads it, or a build of another commit.
 */
export async function createLoopsApp(
  LoopsModule: typeof CurrentLoopsModule,
  options: LoopsModuleOptions,
): Promise<INestApplicationContext> {
  @Module({ imports: [LoopsModule.forRoot(options)] })
  class LoopsBenchModule {}
  return NestFactory.createApplicationContext(LoopsBenchModule, { logger: false });
}
