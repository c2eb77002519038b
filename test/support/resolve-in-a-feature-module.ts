import { type DynamicModule, type InjectionToken, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';

const RESOLVED = Symbol('resolved in a feature module');

/**
 * What a provider of a module that imports nothing gets for each of `tokens`, with `root` imported by the app: what a
 * global module exports to every other. Compiling fails when one isn't exported. The caller closes `moduleRef`.
 */
export async function resolveInAFeatureModule(
  root: DynamicModule,
  tokens: InjectionToken[],
): Promise<{ resolved: unknown[]; moduleRef: TestingModule }> {
  @Module({ providers: [{ provide: RESOLVED, useFactory: (...resolved: unknown[]) => resolved, inject: tokens }] })
  class FeatureModule {}
  const moduleRef = await Test.createTestingModule({ imports: [root, FeatureModule] }).compile();
  return { resolved: moduleRef.get<unknown[]>(RESOLVED), moduleRef };
}
