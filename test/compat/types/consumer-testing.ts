// Type-checked by compat.spec.ts next to consumer.ts when the tarball ships `nestjs-loops/testing`.
import type { DynamicModule } from '@nestjs/common';
import { LoopsTestingModule, LoopsTestRecorder } from 'nestjs-loops/testing';

type IsAny<T> = 0 extends 1 & T ? true : false;
export const testingNotAny: [IsAny<typeof LoopsTestingModule>, IsAny<LoopsTestRecorder>] = [false, false];

export const testing: DynamicModule = LoopsTestingModule.forRoot();
export const recorded = (recorder: LoopsTestRecorder): number => recorder.events.length;
