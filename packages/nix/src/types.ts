import type { RuntimeGraphJson } from '@nixery/layers';
import type { ResolvedSource } from '@nixery/source';

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
  /** Every installed output (meta.outputsToInstall), first one equal to `outPath`. */
  outPaths: string[];
}

export type NixResult =
  | { ok: true; graph: RuntimeGraphJson; packages: ImagePackage[]; envPath: string | null }
  | { ok: false; kind: 'unknown-packages'; names: string[] }
  | { ok: false; kind: 'timeout'; seconds: number; logTail: string }
  | { ok: false; kind: 'build-failed'; logTail: string }
  | { ok: false; kind: 'unsupported-system'; system: string; message: string }
  | { ok: false; kind: 'nix-missing'; message: string };

export interface BuildRequest {
  packages: string[];
  system: string;
  source: Pick<ResolvedSource, 'nixArg'>;
}

export interface NixOptions {
  /** Budget for the whole run (evaluation, build and path-info); NIX_TIMEOUT. */
  timeoutSeconds: number;
  /** The nix-build binary; nix-instantiate and nix are taken from the same directory. Default: from PATH. */
  nixBuildPath?: string;
  /** `--option substituters <value>`; undefined keeps Nix's own configuration, '' turns caches off. */
  substituters?: string;
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
  /** nix/image.nix; defaults to the copy in this repository. */
  imageNixPath?: string;
}
