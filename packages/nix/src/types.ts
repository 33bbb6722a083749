import type { RuntimeGraphJson } from '@nixery/layers';
import type { ResolvedSource } from '@nixery/source';
import type { NixBuildProgress } from './build-progress.js';
import type { Refusal } from './nix-errors.js';
import type { NixStep } from './nix-session.js';

// The runtime graph is @nixery/layers' input contract; the runner produces exactly that shape.
export type { PathInfo, RuntimeGraphJson } from '@nixery/layers';

/** A requested name and what it resolved to. */
export interface ImagePackage {
  /** The name as requested (lowercase, e.g. `python3packages.requests`). */
  name: string;
  /** The attribute path it resolved to (e.g. `python3Packages.requests`). */
  attr: string;
  /** The store path of its first installed output. */
  outPath: string;
  /** Every installed output: the default one, or the one named (`openssl.dev`); `outPaths[0] === outPath`. */
  outPaths: string[];
}

export type NixResult =
  | { ok: true; graph: RuntimeGraphJson; packages: ImagePackage[]; envPath: string | null }
  | NixFailure;

export type NixFailure =
  | { ok: false; kind: 'unknown-packages'; names: string[] }
  /** Some names failed in another way than being unknown; `problems` lists every failing name. */
  | { ok: false; kind: 'package-problems'; problems: PackageProblem[] }
  /**
   * A limit passed: `evaluation` (NixOptions.evaluationTimeoutSeconds), `build` (NIX_TIMEOUT, for
   * one build, enforced by Nix) or `path-info`.
   */
  | {
      ok: false;
      kind: 'timeout';
      step: 'evaluation' | 'build' | 'path-info';
      seconds: number;
      logTail: string;
    }
  /**
   * Nix failed after evaluation. `derivation` is the one whose builder failed (when Nix names it),
   * `errors` Nix's `error:` blocks; `logTail` starts with those, then the rest of the last lines.
   */
  | { ok: false; kind: 'build-failed'; derivation: string | null; errors: string[]; logTail: string }
  /** Evaluating the package set failed for every name alike (e.g. nixpkgs refuses this Nix). */
  | { ok: false; kind: 'evaluation-failed'; errors: string[]; logTail: string }
  | { ok: false; kind: 'unsupported-system'; system: string; message: string }
  | { ok: false; kind: 'nix-missing'; message: string };

/**
 * Why one requested name gives no package:
 * - `unknown`: the set has nothing of that name (or it is not a derivation);
 * - `removed`: reading the attribute throws: nixpkgs' removed or renamed aliases (`message` is theirs);
 * - `refused`: nixpkgs' meta check refuses it (`refusal` says which check: unfree, broken, …);
 * - `eval-error`: anything else, e.g. a missing file or an `abort` (`message` is Nix's error).
 */
export interface PackageProblem {
  name: string;
  kind: 'unknown' | 'removed' | 'refused' | 'eval-error';
  /** The attribute path that failed, when known. */
  attr?: string;
  refusal?: Refusal;
  /** Nix's error, first line first; empty for `unknown`. */
  message: string;
}

export interface BuildRequest {
  packages: string[];
  system: string;
  source: Pick<ResolvedSource, 'nixArg'>;
}

export interface NixOptions {
  /**
   * NIX_TIMEOUT: how long one build may run, and stay silent (Nix's `--timeout` and
   * `--max-silent-time`, as Nixery). Evaluation and downloads are not counted.
   */
  timeoutSeconds: number;
  /** How long one evaluation may take (NIXERY_EVAL_TIMEOUT); default 300 s. */
  evaluationTimeoutSeconds?: number;
  /** The nix-build binary; nix-instantiate and nix are taken from the same directory. Default: from PATH. */
  nixBuildPath?: string;
  /** `--option substituters <value>`; undefined keeps Nix's own configuration, '' turns caches off. */
  substituters?: string;
  /**
   * `--option trusted-public-keys <value>`: the keys whose signatures on substituted paths Nix
   * accepts (replaces Nix's list); undefined keeps Nix's own configuration.
   */
  trustedPublicKeys?: string;
  /**
   * `--option builders <value>`: Nix remote builders in Nix's machine format (`ssh-ng://host
   * x86_64-linux`, `@/etc/nix/machines`); '' for none, undefined keeps Nix's own configuration.
   */
  builders?: string;
  /** Extra arguments for every Nix call (e.g. ['--option', 'sandbox', 'false']). */
  extraNixArgs?: string[];
  /** Receives every line Nix writes to stderr, as it arrives. */
  onLogLine?: (line: string) => void;
  /** Aborting terminates Nix and rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * A directory (empty, the caller's) for GC roots of the built outputs; they keep the closure alive
   * until the caller deletes the directory. Without it nothing protects the paths from a collection.
   */
  gcRootDir?: string;
  /** nixpkgs' `config.allowUnfree` (NIXERY_ALLOW_UNFREE), passed to Nix as JSON data. */
  allowUnfree?: boolean;
  /**
   * Runs one evaluation (a nix-instantiate); a shared limiter bounds how many run at once across
   * builds. Default: no bound.
   */
  evaluationSlot?: <T>(run: () => Promise<T>) => Promise<T>;
  /** Called as each evaluation (nix-instantiate) starts: for metrics of what a pull cost. */
  onEvaluation?: () => void;
  /** Called as each Nix process starts, with its step (evaluations after their slot is free). */
  onStep?: (step: NixStep) => void;
  /** The build step's progress (derivations to build, paths to fetch, started so far), as it changes. */
  onBuildProgress?: (progress: NixBuildProgress) => void;
  /** Called as each evaluation ends (however it ended): with onEvaluation, how many run at once. */
  onEvaluationEnd?: () => void;
  /** nix/image.nix; defaults to the copy in this repository. */
  imageNixPath?: string;
}
