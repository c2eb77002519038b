// Beside nest11-cjs-jest's own tests, which compat.spec.ts copies in: the same app, without @nestjs/axios.
import { Test } from '@nestjs/testing';
import { LoopsModule } from 'nestjs-loops';

it('is an app without @nestjs/axios, and installing nestjs-loops did not add one', () => {
  expect(() => require.resolve('@nestjs/axios')).toThrow(/Cannot find module/);
});

it('asks for both BullMQ peers in one error when it has neither', async () => {
  expect(() => require.resolve('bullmq')).toThrow(/Cannot find module/);
  const booting = (async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [LoopsModule.forRoot({ apiKey: 'k', delivery: { queue: 'bullmq', connection: 'redis://127.0.0.1:9' } })],
    }).compile();
    await moduleRef.init();
    await moduleRef.close();
  })();
  await expect(booting).rejects.toThrow(
    'needs the optional peer dependencies "ioredis" and "bullmq": npm install ioredis bullmq',
  );
});
