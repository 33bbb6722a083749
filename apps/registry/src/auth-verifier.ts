import { sha256Hex } from '@nixery/digest';
import type { AttemptGate } from './auth-throttle.js';
import { BcryptPool } from './bcrypt-pool.js';

export interface PasswordVerifierOptions {
  /** How long a successful check is remembered (clients send credentials with every request). */
  cacheTtlMs?: number;
  /** Upper bound on remembered successes; the oldest go first. */
  maxCacheEntries?: number;
  /** Where bcrypt runs; by default a pool of the verifier's own. */
  pool?: BcryptPool;
  now?: () => number;
}

export const DEFAULT_CACHE_TTL_MS = 60_000;
export const DEFAULT_MAX_CACHE_ENTRIES = 1024;
/** bcrypt reads only this many bytes of a password; it cannot check a longer one in full. */
export const MAX_PASSWORD_BYTES = 72;

/**
 * Checks user name and password against bcrypt hashes. bcrypt is slow on purpose, so a success
 * is remembered briefly under a SHA-256 of the credentials (never the credentials themselves),
 * and concurrent checks of the same credentials share one bcrypt run. Passwords over 72 bytes
 * are refused outright: bcrypt would compare only their first 72 bytes and accept any tail.
 */
export class PasswordVerifier {
  private readonly users: ReadonlyMap<string, string>;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly pool: BcryptPool;
  private readonly ownsPool: boolean;
  /** A real hash to spend the same time on for unknown users (its result is ignored). */
  private readonly decoyHash: string;
  private readonly remembered = new Map<string, number>();
  private readonly running = new Map<string, Promise<boolean>>();
  /** bcrypt runs so far (tests use it to see the cache work). */
  bcryptRuns = 0;

  constructor(users: ReadonlyMap<string, string>, options: PasswordVerifierOptions = {}) {
    const first = users.values().next();
    if (first.done) throw new Error('PasswordVerifier needs at least one user');
    this.users = users;
    this.decoyHash = first.value;
    this.ttlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    this.maxEntries = options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
    this.now = options.now ?? Date.now;
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? new BcryptPool();
  }

  /**
   * A remembered success, a shared running check, or a new bcrypt run admitted by `gate` (which
   * may throw to refuse it, e.g. TooManyAttemptsError).
   */
  async verify(user: string, password: string, gate?: AttemptGate): Promise<boolean> {
    const key = sha256Hex(`${user}\0${password}`);
    const expiresAt = this.remembered.get(key);
    if (expiresAt !== undefined) {
      if (expiresAt > this.now()) return true;
      this.remembered.delete(key);
    }
    const pending = this.running.get(key);
    if (pending) return pending;
    const finish = gate?.begin();
    const check = this.check(user, password).finally(() => this.running.delete(key));
    this.running.set(key, check);
    let ok: boolean;
    try {
      ok = await check;
    } catch (error) {
      finish?.('none');
      throw error;
    }
    finish?.(ok ? 'success' : 'failure');
    if (ok) this.remember(key);
    return ok;
  }

  /** Stops the bcrypt pool if this verifier made it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.close();
  }

  private async check(user: string, password: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return false;
    const hash = this.users.get(user);
    this.bcryptRuns += 1;
    // Unknown users cost a bcrypt run too, so timing does not tell which names exist.
    const matches = await this.pool.compare(password, hash ?? this.decoyHash);
    return hash !== undefined && matches;
  }

  private remember(key: string): void {
    this.remembered.delete(key);
    this.remembered.set(key, this.now() + this.ttlMs);
    while (this.remembered.size > this.maxEntries) {
      const oldest = this.remembered.keys().next();
      if (oldest.done) break;
      this.remembered.delete(oldest.value);
    }
  }
}
