/**
 * Settles as `work` does, or rejects with the signal's reason as soon as it aborts, for work that was handed the
 * signal but may not read it (an app's axios interceptor, a rate limiter of its own): the module's deadlines hold
 * whatever that code does. A value that arrives after the abort goes to `discard` (a limiter's slot to release);
 * what `discard` throws is dropped, since nothing waits for it any more. Without a signal, `work` itself.
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  discard?: (late: T) => void,
): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    let abandoned = false;
    const onAbort = () => {
      abandoned = true;
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (!abandoned) resolve(value);
        else if (discard) {
          try {
            discard(value);
          } catch {
            // Too late to report to anyone: the send it was for has already failed.
          }
        }
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
