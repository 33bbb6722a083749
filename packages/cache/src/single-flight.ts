export interface RunOptions {
  /** Stops this caller waiting; the shared work carries on for everyone else. */
  signal?: AbortSignal;
}

/**
 * Concurrent calls with the same key share one execution of `work`. The result (or the
 * error) goes to every caller; nothing is remembered afterwards, so a failure is retried by
 * the next call and a success is the caches' business, not this class's.
 */
export class SingleFlight<K, V> {
  private readonly flights = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>, options: RunOptions = {}): Promise<V> {
    // A caller that has already gone does not start (or join) anything.
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    let flight = this.flights.get(key);
    if (flight === undefined) {
      const started = (async () => work())();
      flight = started.finally(() => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      });
      // Every waiter may have left; the failure is still theirs to see, not an unhandled rejection.
      flight.catch(() => {});
      this.flights.set(key, flight);
    }
    return options.signal ? abandonable(flight, options.signal) : flight;
  }

  /** Whether work for `key` is running now. */
  isRunning(key: K): boolean {
    return this.flights.has(key);
  }

  get running(): number {
    return this.flights.size;
  }
}

function abandonable<V>(flight: Promise<V>, signal: AbortSignal): Promise<V> {
  return new Promise<V>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    flight.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
