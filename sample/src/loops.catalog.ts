// The events this app sends, in the form `npx nestjs-loops pull` writes from a Loops account. Against your own
// account, `LOOPS_API_KEY=... npx nestjs-loops check --catalog sample/src/loops.catalog.ts` lists what it lacks.
import { defineLoopsEvents } from 'nestjs-loops';

/** The mailing lists of the account: their ids by name. The sample subscribes contacts to none. */
export const MailingLists = {} as const;

export const catalog = defineLoopsEvents({
  events: {
    accountDeleted: {},
    planChanged: {
      plan: 'string',
    },
    signup: {
      plan: 'string',
      trialEndsAt: 'date',
    },
    trialEnding: {
      daysLeft: 'number',
      plan: 'string',
      trialEndsAt: 'date',
    },
  },
  contactProperties: {
    plan: 'string',
  },
  mailingLists: MailingLists,
});

declare module 'nestjs-loops' {
  interface LoopsRegister {
    catalog: typeof catalog;
  }
}
