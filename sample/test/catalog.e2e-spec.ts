import { INestApplication } from '@nestjs/common';
import { LoopsEventsService, LoopsValidationError } from 'nestjs-loops';
import { LoopsCompatibleServer } from '../../test/support/loops-server';
import { catalog } from '../src/loops.catalog';
import { bootSampleApp } from './support/boot-sample-app';

/** The sample's event catalog: checked when the code compiles, when an event is sent, and at start-up on demand. */
describe('sample app: its event catalog', () => {
  let server: LoopsCompatibleServer;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    server = await LoopsCompatibleServer.start();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.close();
  });

  it('refuses an event it does not declare, before sending anything, as the compiler does', async () => {
    ({ app } = await bootSampleApp(server));
    const loops = app.get(LoopsEventsService);

    // @ts-expect-error -- "signUp" is not an event of the catalog: the compiler says so...
    const send = loops.sendEvent({ eventName: 'signUp', email: 'jane@example.com' });

    // ...and so does the module, for code the compiler could not check.
    await expect(send).rejects.toBeInstanceOf(LoopsValidationError);
    await expect(send).rejects.toThrow('eventName "signUp" is not in the event catalog (did you mean "signup"?)');
    expect(server.requests).toEqual([]);
  });

  it('with LOOPS_VERIFY=error, boots against an account that has its events, and not against one that lacks them', async () => {
    server.account.seed({
      eventPatterns: Object.entries(catalog.events).map(([eventName, properties]) => ({ eventName, properties })),
      contactProperties: Object.entries(catalog.contactProperties).map(([key, type]) => ({ key, type })),
    });
    ({ app } = await bootSampleApp(server, { LOOPS_VERIFY: 'error' }));
    await app.close();
    app = undefined;
    server.account.seed({});

    await expect(bootSampleApp(server, { LOOPS_VERIFY: 'error' })).rejects.toThrow(
      'event "signup" is in the catalog but not in Loops: sending it would create a new event silently',
    );
  });
});
