import { sha256Hex } from '@nixery/digest';
import type { NixFailure, NixResult, PackageProblem } from '@nixery/nix';
import type { ResolvedSource } from '@nixery/source';
import { nameOutcomeObjectKey, type Storage } from '@nixery/storage';

/** What a name came to last time: it resolved, or its (lasting) problem. */
type Outcome = { found: true } | { found: false; problem: PackageProblem };

const MAX_REMEMBERED = 10_000;
const CONTENT_TYPE = 'application/json';

/**
 * Remembers per requested name whether it resolved or why not, so a pull whose names are all
 * known and one of which fails is answered without evaluating nixpkgs again (a 404 costs a
 * lookup, not seconds and hundreds of MB). Pinned sources: for good, in the storage (shared by
 * every instance) and in memory; unpinned sources: in memory for `ttlMs` (NIXERY_UNPINNED_TTL).
 * Evaluation errors and timeouts are not remembered: they may pass.
 */
export class NameOutcomes {
  private readonly memory = new Map<string, { outcome: Outcome; expiresAt: number }>();

  constructor(
    private readonly storage: Storage,
    private readonly ttlMs: number,
    /** Settings that change what a name resolves to (e.g. allowUnfree). */
    private readonly settings: string,
  ) {}

  /** The failure to answer with when every name is known and some fail; else null (evaluate). */
  async knownFailure(source: ResolvedSource, system: string, names: string[]): Promise<NixFailure | null> {
    const problems: PackageProblem[] = [];
    for (const name of names) {
      const outcome = await this.get(source, system, name);
      if (outcome === null) return null;
      if (!outcome.found) problems.push(outcome.problem);
    }
    if (problems.length === 0) return null;
    if (problems.every((p) => p.kind === 'unknown')) {
      return { ok: false, kind: 'unknown-packages', names: problems.map((p) => p.name) };
    }
    return { ok: false, kind: 'package-problems', problems };
  }

  /** Learns from a Nix result which names resolved and which failed for lasting reasons. */
  async learn(source: ResolvedSource, system: string, names: string[], result: NixResult): Promise<void> {
    let problems: PackageProblem[];
    if (result.ok) problems = [];
    else if (result.kind === 'unknown-packages')
      problems = result.names.map((name) => ({ name, kind: 'unknown', message: '' }));
    else if (result.kind === 'package-problems') problems = result.problems;
    else return;
    const byName = new Map(problems.map((p) => [p.name, p]));
    for (const name of names) {
      const problem = byName.get(name);
      if (problem?.kind === 'eval-error') continue;
      await this.put(source, system, name, problem ? { found: false, problem } : { found: true });
    }
  }

  private key(source: ResolvedSource, system: string, name: string): string {
    return sha256Hex(`${source.id}\0${system}\0${this.settings}\0${name}`);
  }

  private async get(source: ResolvedSource, system: string, name: string): Promise<Outcome | null> {
    const key = this.key(source, system, name);
    const remembered = this.memory.get(key);
    if (remembered && remembered.expiresAt > Date.now()) return remembered.outcome;
    if (!source.pinned) return null;
    const stored = await this.storage.getObject(nameOutcomeObjectKey(key));
    if (stored === null) return null;
    const outcome = JSON.parse(stored.body.toString('utf8')) as Outcome;
    this.remember(key, outcome, Number.POSITIVE_INFINITY);
    return outcome;
  }

  private async put(source: ResolvedSource, system: string, name: string, outcome: Outcome): Promise<void> {
    const key = this.key(source, system, name);
    if (source.pinned) {
      this.remember(key, outcome, Number.POSITIVE_INFINITY);
      await this.storage.putObject(
        nameOutcomeObjectKey(key),
        Buffer.from(JSON.stringify(outcome)),
        CONTENT_TYPE,
      );
    } else if (this.ttlMs > 0) {
      this.remember(key, outcome, Date.now() + this.ttlMs);
    }
  }

  private remember(key: string, outcome: Outcome, expiresAt: number): void {
    this.memory.delete(key);
    this.memory.set(key, { outcome, expiresAt });
    // Bounded: forget the oldest entries first (Map iterates in insertion order).
    while (this.memory.size > MAX_REMEMBERED) this.memory.delete(this.memory.keys().next().value as string);
  }
}
