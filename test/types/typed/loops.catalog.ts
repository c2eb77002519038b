// The catalog of the type tests, registered as an app registers its own (the form `nestjs-loops pull` writes).
import { defineLoopsEvents } from 'nestjs-loops';

export const MailingLists = {
  productUpdates: 'cl_product_updates',
  beta: 'cl_beta',
} as const;

export const catalog = defineLoopsEvents({
  events: {
    signup: { plan: 'string', seats: 'number', trial: 'boolean', trialEndsAt: 'date', coupon: 'string?' },
    planChanged: { plan: 'string' },
    accountDeleted: {},
    feedback: { comment: 'string?' },
  },
  contactProperties: { plan: 'string', seats: 'number' },
  mailingLists: MailingLists,
});

declare module 'nestjs-loops' {
  interface LoopsRegister {
    catalog: typeof catalog;
  }
}
