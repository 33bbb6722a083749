// Admission control: at most `maxBuilds` image builds run at once and at most `queueLimit` wait
// behind them; a build finding the queue full is refused at once (the registry answers 429 with
// Retry-After), and while the server drains every new build is refused (503). The gate wraps
// "start a build" and nothing else, so requests that need no build never meet it.

/** Why the gate refused a build: the queue is full, or the server is shutting down. */
export class AdmissionRefusedError extends Error {
  override readonly name = 'AdmissionRefusedError';
  constructor(
    readonly reason: 'queue-full' | 'draining',
    message: string,
    /** Seconds after which a retry is worth it (the Retry-After header). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface AdmissionOptions {
  maxBuilds: number;
  queueLimit: number;
  /** Told whenever the number running or waiting changes (the metrics' gauges). */
  onChange?: (state: { running: number; queued: number }) => void;
  /** Told of every refusal (the metrics' counter). */
  onRefused?: (reason: AdmissionRefusedError['reason']) => void;
}

interface Waiter {
  admit: () => void;
  refuse: (error: unknown) => void;
}

/** Retry-After when no build has finished yet to estimate from. */
const DEFAULT_RETRY_AFTER_SECONDS = 10;
const MAX_RETRY_AFTER_SECONDS = 300;

export class AdmissionGate {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private draining = false;
  /** Aborts every admitted build: the shutdown's deadline passed. */
  private readonly stopAll = new AbortController();
  private idleWaiters: (() => void)[] = [];
  /** Moving average of admitted builds' durations, for Retry-After. */
  private averageBuildMs: number | null = null;

  constructor(private readonly options: AdmissionOptions) {}

  get state(): { running: number; queued: number; draining: boolean } {
    return { running: this.running, queued: this.queue.length, draining: this.draining };
  }

  /**
   * Runs `start` once a place is free. `signal` is everyone who waits for this build leaving: a
   * queued build then gives up its place in the queue, a running one is aborted by its own
   * signal. The signal `start` gets also aborts when the shutdown deadline stops every build.
   */
  async run<T>(signal: AbortSignal, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal.aborted) throw signal.reason;
    if (this.draining) {
      this.refused('draining', 'the registry is shutting down; try again (another instance may answer)');
    }
    if (this.running >= this.options.maxBuilds) await this.waitForPlace(signal);
    else this.running++;
    this.changed();
    const began = performance.now();
    try {
      return await start(AbortSignal.any([signal, this.stopAll.signal]));
    } catch (error) {
      // Stopped by the shutdown, not by its clients leaving: they are told so.
      if (this.stopAll.signal.aborted && !signal.aborted) throw this.stopAll.signal.reason;
      throw error;
    } finally {
      this.learn(performance.now() - began);
      this.release();
    }
  }

  /**
   * Stops admitting: queued builds and every later one are refused (503), the running ones go on.
   * Resolves when none runs any more.
   */
  drain(): Promise<void> {
    this.draining = true;
    for (const waiter of this.queue.splice(0)) {
      waiter.refuse(this.refusal('draining', 'the registry is shutting down; try again'));
    }
    this.changed();
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts every running build (the shutdown deadline passed); drain() resolves once they unwound. */
  abortAll(reason: Error): void {
    this.stopAll.abort(reason);
  }

  private waitForPlace(signal: AbortSignal): Promise<void> {
    if (this.queue.length >= this.options.queueLimit) {
      this.refused(
        'queue-full',
        `too many image builds waiting (${this.options.maxBuilds} running, ${this.queue.length} queued); try again later`,
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        refuse: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      // Nobody waits for this build any more: its place in the queue goes to the next one.
      const onAbort = () => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        this.changed();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.changed();
    });
  }

  /** A running build ended: its place goes to the first in the queue (running stays the same). */
  private release(): void {
    const next = this.queue.shift();
    if (next) next.admit();
    else this.running--;
    this.changed();
    if (this.running === 0) for (const idle of this.idleWaiters.splice(0)) idle();
  }

  private refused(reason: AdmissionRefusedError['reason'], message: string): never {
    throw this.refusal(reason, message);
  }

  private refusal(reason: AdmissionRefusedError['reason'], message: string): AdmissionRefusedError {
    this.options.onRefused?.(reason);
    return new AdmissionRefusedError(reason, message, this.retryAfterSeconds());
  }

  /** Roughly when a place in the queue frees up: the queue ahead, worked off maxBuilds at a time. */
  private retryAfterSeconds(): number {
    if (this.averageBuildMs === null) return DEFAULT_RETRY_AFTER_SECONDS;
    const rounds = Math.max(1, Math.ceil(this.queue.length / this.options.maxBuilds));
    const seconds = Math.ceil((rounds * this.averageBuildMs) / 1000);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
  }

  private learn(ms: number): void {
    this.averageBuildMs = this.averageBuildMs === null ? ms : 0.8 * this.averageBuildMs + 0.2 * ms;
  }

  private changed(): void {
    this.options.onChange?.({ running: this.running, queued: this.queue.length });
  }
}
