import type { LoopsAccountReader, LoopsContactProperty, LoopsMailingList } from './loops-account-reader';
import type { LoopsPropertyType } from './loops-catalog';

export interface LoopsAccountEvent {
  id: string;
  /** The integration that sends it (`stripe`, ...); `null` for the app's own events. */
  platform: string | null;
  /** Property name to type; `undefined` when they were not read. */
  properties?: ReadonlyMap<string, LoopsPropertyType>;
}

/** What a catalog is compared with, or pulled from. */
export interface LoopsAccountSnapshot {
  teamName: string;
  events: ReadonlyMap<string, LoopsAccountEvent>;
  /** Custom contact properties; `undefined` when not read. */
  contactProperties?: readonly LoopsContactProperty[];
  /** `undefined` when not read. */
  mailingLists?: readonly LoopsMailingList[];
}

export interface LoopsAccountSelection {
  /** The events whose properties to read (one request each): `all` the app's own, or these names. */
  propertiesOf: 'all' | ReadonlySet<string>;
  contactProperties: boolean;
  mailingLists: boolean;
}

/** Requests in flight at once while reading events one by one; the reader's rate limiter paces them further. */
const CONCURRENCY = 4;

/** Reads the account: the key's team first, so that a rejected key fails before anything else. */
export async function readLoopsAccount(
  reader: LoopsAccountReader,
  selection: LoopsAccountSelection,
): Promise<LoopsAccountSnapshot> {
  const teamName = await reader.teamName();
  const summaries = await reader.eventPatterns();
  const events = new Map<string, LoopsAccountEvent>(
    summaries.map((summary) => [summary.eventName, { id: summary.id, platform: summary.incomingWebhookPlatform }]),
  );
  const toRead = [...events].filter(([name, event]) =>
    selection.propertiesOf === 'all' ? event.platform === null : selection.propertiesOf.has(name),
  );
  let next = 0;
  let failed = false;
  const readNext = async (): Promise<void> => {
    // After a failure the other workers stop too: the whole read fails with it.
    while (next < toRead.length && !failed) {
      const [name, event] = toRead[next++];
      try {
        const pattern = await reader.eventPattern(event.id);
        const properties = new Map(pattern.eventProperties.map((property) => [property.name, property.type]));
        events.set(name, { ...event, properties });
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, readNext));
  return {
    teamName,
    events,
    contactProperties: selection.contactProperties ? await reader.customContactProperties() : undefined,
    mailingLists: selection.mailingLists ? await reader.mailingLists() : undefined,
  };
}
