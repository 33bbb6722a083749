import { LRUCache } from 'lru-cache';

export interface FailureThrottleOptions {
  /** Failed checks allowed per address in one window; later ones are refused until it ends. */
  maxFailures?: number;
  /** Length of a window, counted from an address's first failure in it. */
  windowMs?: number;
  /** Password checks one address may have running at once. */
  maxConcurrent?: number;
  /** Addresses remembered at most; the least recently seen are forgotten first. */
  maxAddresses?: number;
  now?: () => number;
}

export const DEFAULT_MAX_FAILURES = 10;
export const DEFAULT_WINDOW_MS = 60_000;
export const DEFAULT_MAX_CONCURRENT = 2;
export const DEFAULT_MAX_ADDRESSES = 10_000;

/** Refusal of a check: the client may try again after `retryAfterSeconds`. */
export class TooManyAttemptsError extends Error {
  override readonly name = 'TooManyAttemptsError';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed sign-in attempts from this address; retry in ${retryAfterSeconds} s`);
  }
}

interface AddressState {
  failures: number;
  running: number;
  /** When the failure count starts again from zero (0: no failure counted yet). */
  resetAt: number;
}

/** How a check ended; `none` (no result, e.g. the pool was busy) does not count as a failure. */
export type AttemptOutcome = 'success' | 'failure' | 'none';

/** Admits the password checks of one client address; `begin` throws TooManyAttemptsError. */
export interface AttemptGate {
  /** Call before a bcrypt run; call the returned function with its outcome when it ends. */
  begin(): (outcome: AttemptOutcome) => void;
}

/**
 * Limits password guessing per client address: at most `maxFailures` failed checks per window and
 * `maxConcurrent` checks in flight, so one address can neither guess quickly nor fill the bcrypt
 * pool ahead of other users. State is kept for a bounded number of addresses.
 */
export class FailureThrottle {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxConcurrent: number;
  private readonly now: () => number;
  private readonly addresses: LRUCache<string, AddressState>;

  constructor(options: FailureThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT;
    this.now = options.now ?? Date.now;
    this.addresses = new LRUCache({ max: options.maxAddresses ?? DEFAULT_MAX_ADDRESSES });
  }

  forAddress(address: string): AttemptGate {
    return { begin: () => this.begin(address) };
  }

  /** Addresses with state (tests check the bound). */
  get size(): number {
    return this.addresses.size;
  }

  private begin(address: string): (outcome: AttemptOutcome) => void {
    const state = this.stateOf(address);
    const now = this.now();
    if (state.failures + state.running >= this.maxFailures) {
      throw new TooManyAttemptsError(
        state.failures > 0 ? Math.max(1, Math.ceil((state.resetAt - now) / 1000)) : 1,
      );
    }
    if (state.running >= this.maxConcurrent) throw new TooManyAttemptsError(1);
    state.running += 1;
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      state.running -= 1;
      if (outcome !== 'failure') return;
      if (state.failures === 0 || this.now() >= state.resetAt) {
        state.failures = 0;
        state.resetAt = this.now() + this.windowMs;
      }
      state.failures += 1;
    };
  }

  private stateOf(address: string): AddressState {
    let state = this.addresses.get(address);
    if (!state) {
      state = { failures: 0, running: 0, resetAt: 0 };
      this.addresses.set(address, state);
    } else if (state.failures > 0 && this.now() >= state.resetAt) {
      state.failures = 0;
    }
    return state;
  }
}
