import { TtlTier } from '@nixery/cache';
import { sha256Hex } from '@nixery/digest';
import type {
  NameResolution,
  NixFailure,
  PackageProblem,
  PlannedDerivation,
  PlannedPackage,
} from '@nixery/nix';
import type { ResolvedSource } from '@nixery/source';
import { nameOutcomeObjectKey, type Storage } from '@nixery/storage';

/**
 * What a name came to last time: what it resolved to (enough to build it without evaluating:
 * its attribute, derivation and installed outputs' store paths), or its lasting problem.
 */
type Outcome =
  | { found: true; resolution: Omit<PlannedPackage, 'name'> }
  | { found: false; problem: PackageProblem };

/** coreutils (for /usr/bin/env) is remembered beside the names; a name never holds a NUL. */
const ENV_NAME = '\0env';
type EnvOutcome = { env: PlannedDerivation | null };

const MAX_REMEMBERED = 10_000;
const CONTENT_TYPE = 'application/json';

/** What is remembered of an image's names: found ones, failing ones, and those never seen. */
export interface RecalledNames {
  found: Map<string, PlannedPackage>;
  problems: PackageProblem[];
  /** Names nothing is remembered of: only these need an evaluation. */
  unknown: string[];
  /** coreutils' derivation; undefined when not remembered. */
  env: PlannedDerivation | null | undefined;
}

/**
 * Remembers per requested name what it resolved to or why it did not, so a pull of names seen
 * before needs no evaluation of nixpkgs (seconds and hundreds of MB): only the names not yet
 * known are evaluated. Pinned sources: for good, in the storage (`resolutions/`, shared by every
 * instance) and in memory; unpinned sources: in memory for `ttlMs` (NIXERY_UNPINNED_TTL).
 * Evaluation errors and timeouts are not remembered: they may pass. A resolution holds
 * derivation paths of this machine's store; the builder checks they are still there.
 */
export class NameOutcomes {
  private readonly pinned = new TtlTier<unknown>({
    ttlMs: Number.POSITIVE_INFINITY,
    maxEntries: MAX_REMEMBERED,
  });
  private readonly unpinned: TtlTier<unknown>;

  constructor(
    private readonly storage: Storage,
    ttlMs: number,
    /** Settings that change what a name resolves to (e.g. allowUnfree). */
    private readonly settings: string,
  ) {
    this.unpinned = new TtlTier<unknown>({ ttlMs, maxEntries: MAX_REMEMBERED });
  }

  async recall(source: ResolvedSource, system: string, names: string[]): Promise<RecalledNames> {
    const recalled: RecalledNames = { found: new Map(), problems: [], unknown: [], env: undefined };
    for (const name of names) {
      const outcome = asOutcome(await this.get(source, system, name));
      if (outcome === null) recalled.unknown.push(name);
      else if (outcome.found) recalled.found.set(name, { name, ...outcome.resolution });
      else recalled.problems.push(outcome.problem);
    }
    const env = (await this.get(source, system, ENV_NAME)) as EnvOutcome | null;
    if (env !== null && typeof env === 'object' && 'env' in env) recalled.env = env.env;
    return recalled;
  }

  /** Learns from an evaluation of `names`: what each resolved to, or its lasting problem. */
  async learn(
    source: ResolvedSource,
    system: string,
    names: string[],
    result: NameResolution,
  ): Promise<void> {
    const problems = problemsOf(result.failure);
    const found = new Map(result.found.map((p) => [p.name, p]));
    for (const name of names) {
      const planned = found.get(name);
      const problem = problems.get(name);
      if (planned) {
        const { name: _name, ...resolution } = planned;
        await this.put(source, system, name, { found: true, resolution } satisfies Outcome);
      } else if (problem && problem.kind !== 'eval-error') {
        await this.put(source, system, name, { found: false, problem } satisfies Outcome);
      }
    }
    if (result.env !== undefined) {
      await this.put(source, system, ENV_NAME, { env: result.env } satisfies EnvOutcome);
    }
  }

  private key(source: ResolvedSource, system: string, name: string): string {
    return sha256Hex(`${source.id}\0${system}\0${this.settings}\0${name}`);
  }

  private tier(source: ResolvedSource): TtlTier<unknown> {
    return source.pinned ? this.pinned : this.unpinned;
  }

  private async get(source: ResolvedSource, system: string, name: string): Promise<unknown> {
    const key = this.key(source, system, name);
    const remembered = await this.tier(source).get(key);
    if (remembered !== null || !source.pinned) return remembered;
    const stored = await this.storage.getObject(nameOutcomeObjectKey(key));
    if (stored === null) return null;
    let value: unknown;
    try {
      value = JSON.parse(stored.body.toString('utf8'));
    } catch {
      return null; // unreadable: the next evaluation rewrites it
    }
    await this.pinned.put(key, value);
    return value;
  }

  private async put(source: ResolvedSource, system: string, name: string, value: unknown): Promise<void> {
    const key = this.key(source, system, name);
    await this.tier(source).put(key, value);
    if (source.pinned) {
      await this.storage.putObject(
        nameOutcomeObjectKey(key),
        Buffer.from(JSON.stringify(value)),
        CONTENT_TYPE,
      );
    }
  }
}

/** The answer for names that all failed: unknown names alone are a plain unknown-packages. */
export function failureOfProblems(problems: PackageProblem[]): NixFailure {
  if (problems.every((p) => p.kind === 'unknown')) {
    return { ok: false, kind: 'unknown-packages', names: problems.map((p) => p.name) };
  }
  return { ok: false, kind: 'package-problems', problems };
}

/** The per-name problems a failure states (none for failures of the whole evaluation). */
export function problemsOf(failure: NixFailure | null): Map<string, PackageProblem> {
  if (failure?.kind === 'unknown-packages') {
    return new Map(failure.names.map((name) => [name, { name, kind: 'unknown', message: '' }]));
  }
  if (failure?.kind === 'package-problems') return new Map(failure.problems.map((p) => [p.name, p]));
  return new Map();
}

/** A remembered outcome, or null for anything else (e.g. `{found: true}` from before resolutions were kept). */
function asOutcome(value: unknown): Outcome | null {
  if (value === null || typeof value !== 'object') return null;
  const outcome = value as Partial<Record<string, unknown>>;
  if (outcome.found === true && typeof outcome.resolution === 'object' && outcome.resolution !== null)
    return value as Outcome;
  if (outcome.found === false && typeof outcome.problem === 'object' && outcome.problem !== null)
    return value as Outcome;
  return null;
}
