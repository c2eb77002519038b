/**
 * Settles as `work` does, or rejects with the signal's reason as soon as it aborts, for work that was handed the
 * signal but may not read it (an app's axios interceptor, a rate limiter of its own): the module's deadlines hold
 * whatever that code does. A value that arrives after the abort goes to `discard` (a limiter's slot to release).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, discard?: (late: T) => void): Promise<T> {
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
        if (abandoned) discard?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
