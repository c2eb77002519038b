import type { LoopsCatalog } from './loops-catalog';

/**
 * Returns the catalog as given. Its purpose is the type: every event name, property name, property type and
 * mailing-list id is kept as a literal, without `as const`, so that sends can be checked against them.
 */
export function defineLoopsEvents<const TCatalog extends LoopsCatalog>(catalog: TCatalog): TCatalog {
  return catalog;
}
