import type { SendEventInput } from './dto/send-event.dto';

/**
 * The JSON text Loops expects for a validated event. Contact properties are flattened into the top level and
 * Dates become ISO strings; keys follow the official SDK's order so the bodies read alike.
 */
export function buildEventBody(event: SendEventInput): string {
  const body: Record<string, unknown> = { eventName: event.eventName };
  if (event.contactProperties) Object.assign(body, event.contactProperties);
  if (event.eventProperties) body.eventProperties = event.eventProperties;
  if (event.mailingLists) body.mailingLists = event.mailingLists;
  if (event.email !== undefined) body.email = event.email;
  if (event.userId !== undefined) body.userId = event.userId;
  // JSON.stringify calls Date's toJSON, which is toISOString.
  const text = JSON.stringify(body);
  // V8 returns it as a few joined pieces; reading a character flattens them into one string, the smaller form for a
  // body that may wait long in a queue.
  text.charCodeAt(0);
  return text;
}

/** The event a body stands for, in the shape `sendEvent` takes: what an app needs to send it again. */
export function readEventBody(text: string): SendEventInput {
  const { eventName, email, userId, eventProperties, mailingLists, ...contactProperties } = JSON.parse(text) as Record<
    string,
    unknown
  >;
  const event: SendEventInput = { eventName: eventName as string };
  if (email !== undefined) event.email = email as string;
  if (userId !== undefined) event.userId = userId as string;
  if (eventProperties !== undefined) event.eventProperties = eventProperties as SendEventInput['eventProperties'];
  if (Object.keys(contactProperties).length > 0) {
    event.contactProperties = contactProperties as SendEventInput['contactProperties'];
  }
  if (mailingLists !== undefined) event.mailingLists = mailingLists as SendEventInput['mailingLists'];
  return event;
}
