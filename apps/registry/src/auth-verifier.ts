import { sha256Hex } from '@nixery/digest';
import bcrypt from 'bcryptjs';

export interface PasswordVerifierOptions {
  /** How long a successful check is remembered (clients send credentials with every request). */
  cacheTtlMs?: number;
  /** Upper bound on remembered successes; the oldest go first. */
  maxCacheEntries?: number;
  now?: () => number;
}

export const DEFAULT_CACHE_TTL_MS = 60_000;
export const DEFAULT_MAX_CACHE_ENTRIES = 1024;

/**
 * Checks user name and password against bcrypt hashes. bcrypt is slow on purpose, so a success
 * is remembered briefly under a SHA-256 of the credentials (never the credentials themselves),
 * and concurrent checks of the same credentials share one bcrypt run.
 */
export class PasswordVerifier {
  private readonly users: ReadonlyMap<string, string>;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
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
  }

  async verify(user: string, password: string): Promise<boolean> {
    const key = sha256Hex(`${user}\0${password}`);
    const expiresAt = this.remembered.get(key);
    if (expiresAt !== undefined) {
      if (expiresAt > this.now()) return true;
      this.remembered.delete(key);
    }
    const pending = this.running.get(key);
    if (pending) return pending;
    const check = this.check(user, password).finally(() => this.running.delete(key));
    this.running.set(key, check);
    const ok = await check;
    if (ok) this.remember(key);
    return ok;
  }

  private async check(user: string, password: string): Promise<boolean> {
    const hash = this.users.get(user);
    this.bcryptRuns += 1;
    // Unknown users cost a bcrypt run too, so timing does not tell which names exist.
    const matches = await bcrypt.compare(password, hash ?? this.decoyHash);
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
