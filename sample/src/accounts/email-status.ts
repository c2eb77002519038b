/** `bounced` is final: a later unsubscribe doesn't make the address deliverable again. */
export type EmailStatus = 'subscribed' | 'unsubscribed' | 'bounced';
