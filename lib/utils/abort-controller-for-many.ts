import { setMaxListeners } from 'node:events';

/**
 * An AbortController whose signal every in-flight delivery listens to: with `queue.concurrency` above 10,
 * Node would otherwise warn of a listener leak that isn't one.
 */
export function abortControllerForMany(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
