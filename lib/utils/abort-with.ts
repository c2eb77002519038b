interface Followers {
  controllers: Set<AbortController>;
  onAbort: () => void;
}

const followersOf = new WeakMap<AbortSignal, Followers>();

/**
 * Aborts `controller` with `signal`'s reason when `signal` aborts, until the returned function is called. An app may
 * hand one long-lived signal to many sends at once: the signal gets one listener however many follow it, and none
 * once none does. (`AbortSignal.any` would do it in one line, but on Node 20 the source signal keeps a reference to
 * every signal it ever made: a leak for as long as the app's signal lives.)
 */
export function abortWith(signal: AbortSignal, controller: AbortController): () => void {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => undefined;
  }
  let followers = followersOf.get(signal);
  if (!followers) {
    const controllers = new Set<AbortController>();
    const onAbort = () => {
      followersOf.delete(signal);
      for (const follower of controllers) follower.abort(signal.reason);
    };
    followers = { controllers, onAbort };
    followersOf.set(signal, followers);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const { controllers, onAbort } = followers;
  controllers.add(controller);
  return () => {
    if (!controllers.delete(controller) || controllers.size > 0) return;
    followersOf.delete(signal);
    signal.removeEventListener('abort', onAbort);
  };
}
