import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LoopsEventsService, LoopsModule, type LoopsModuleOptions } from '../../lib';

/** A provider of the app's that fails, as a database that is down would; built after the module's service it injects. */
@Injectable()
class UnreachableDatabase {
  constructor(readonly loops: LoopsEventsService) {
    throw new Error('database unreachable');
  }
}

/**
 * Compiles an app of LoopsModule with `options` whose compile then fails: there is no app to close afterwards, so
 * whatever the module opened while it was built stays open. Resolves once the compile has failed, as it must.
 */
export async function compileFailingAfterLoops(options: LoopsModuleOptions): Promise<void> {
  const compiling = Test.createTestingModule({
    imports: [LoopsModule.forRoot(options)],
    providers: [UnreachableDatabase],
  }).compile();
  await expect(compiling).rejects.toThrow('database unreachable');
}
