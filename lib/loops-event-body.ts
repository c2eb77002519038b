import type { SendEventInput } from './dto/send-event.dto';

/**
 * The JSON body Loops expects for a validated event. Contact properties are flattened into the top
 * level and Dates become ISO strings; keys follow the official SDK's order so the bodies read alike.
 */
export function buildEventBody(event: SendEventInput): Record<string, unknown> {
  const body: Record<string, unknown> = { eventName: event.eventName };
  if (event.contactProperties) Object.assign(body, toWireValues(event.contactProperties));
  if (event.eventProperties) body.eventProperties = toWireValues(event.eventProperties);
  if (event.mailingLists) body.mailingLists = { ...event.mailingLists };
  if (event.email !== undefined) body.email = event.email;
  if (event.userId !== undefined) body.userId = event.userId;
  return body;
}

function toWireValues(values: Record<string, unknown>): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    wire[key] = value instanceof Date ? value.toISOString() : value;
  }
  return wire;
}
