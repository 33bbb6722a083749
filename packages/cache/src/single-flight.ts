export interface RunOptions {
  /**
   * Stops this caller waiting. The shared work carries on while anyone else waits; when the
   * last waiter leaves, the signal handed to the work aborts. A caller without a signal waits
   * for good, so its work is never aborted.
   */
  signal?: AbortSignal;
}

interface Flight<V> {
  promise: Promise<V>;
  /** Aborted when no caller waits any more. */
  controller: AbortController;
  waiters: number;
}

/**
 * Concurrent calls with the same key share one execution of `work`. The result (or the
 * error) goes to every caller; nothing is remembered afterwards, so a failure is retried by
 * the next call and a success is the caches' business, not this class's.
 */
export class SingleFlight<K, V> {
  private readonly flights = new Map<K, Flight<V>>();

  run(key: K, work: (signal: AbortSignal) => Promise<V>, options: RunOptions = {}): Promise<V> {
    // A caller that has already gone does not start (or join) anything.
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    let flight = this.flights.get(key);
    if (flight === undefined) flight = this.start(key, work);
    flight.waiters++;
    return options.signal ? this.abandonable(key, flight, options.signal) : flight.promise;
  }

  /** Whether work for `key` is running now (and someone still waits for it). */
  isRunning(key: K): boolean {
    return this.flights.has(key);
  }

  get running(): number {
    return this.flights.size;
  }

  private start(key: K, work: (signal: AbortSignal) => Promise<V>): Flight<V> {
    const controller = new AbortController();
    const flight: Flight<V> = { controller, waiters: 0, promise: undefined as unknown as Promise<V> };
    flight.promise = (async () => work(controller.signal))().finally(() => this.forget(key, flight));
    // Every waiter may have left; the failure is still theirs to see, not an unhandled rejection.
    flight.promise.catch(() => {});
    this.flights.set(key, flight);
    return flight;
  }

  private forget(key: K, flight: Flight<V>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  private abandonable(key: K, flight: Flight<V>, signal: AbortSignal): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        if (--flight.waiters > 0) return;
        // Nobody waits: stop the work, and let the next caller start afresh rather than join
        // work that is winding down.
        this.forget(key, flight);
        flight.controller.abort(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
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
}
