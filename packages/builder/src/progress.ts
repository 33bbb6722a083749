import type { NixBuildProgress } from '@nixery/nix';
import type { Arch } from '@nixery/source';
import type { ImageFailureReason } from './errors.js';
import type { BuildTimings } from './image-record.js';

/**
 * Where one build is. `queued` until its first Nix evaluation runs (an admission gate or the
 * evaluation limit holds it there), `evaluating` (each evaluation of the package set counted),
 * `building` (nix-build: derivations and downloads Nix announced, and how many started),
 * `grouping`, `writing` (layers finished of all, the root layer included), then `done` or
 * `failed`. `cancelled`: every caller left, so the build was stopped; `refused`: the admission gate
 * turned it away before it started.
 */
export type BuildStage =
  | { stage: 'queued' }
  | { stage: 'evaluating'; evaluations: number }
  | ({ stage: 'building' } & NixBuildProgress)
  | { stage: 'grouping' }
  | { stage: 'writing'; layer: number; layers: number }
  | { stage: 'done'; timings: BuildTimings }
  | { stage: 'failed'; reason: ImageFailureReason | 'cancelled' | 'refused'; message: string };

/** What a build is of, as an observer is told when it starts. */
export interface BuildInfo {
  /** The image name as parsed (`shell/hello`). */
  image: string;
  tag: string;
  arch: Arch;
  system: string;
  /** The request id of the caller that started the build (later callers share it), if given. */
  requestId: string | null;
}

/** Receives one build's stages and Nix log lines, in order; its failures never reach the build. */
export interface BuildObserver {
  stage(stage: BuildStage): void;
  log(line: string): void;
}

/** The observer, with anything it throws swallowed: progress reporting must not fail a build. */
export function guardedObserver(observer: BuildObserver | undefined): BuildObserver {
  const guard =
    <A>(call: (arg: A) => void) =>
    (arg: A) => {
      try {
        call(arg);
      } catch {
        // ignored on purpose
      }
    };
  if (!observer) return { stage() {}, log() {} };
  return { stage: guard((s) => observer.stage(s)), log: guard((l) => observer.log(l)) };
}

/** A stage in a few words, for progress lines and pages ("building 1 of 2 derivations"). */
export function describeStage(stage: BuildStage): string {
  switch (stage.stage) {
    case 'queued':
      return 'queued';
    case 'evaluating':
      return stage.evaluations > 1 ? `evaluating (${stage.evaluations} evaluations)` : 'evaluating';
    case 'building': {
      const { derivations: d, fetches: f } = stage;
      const parts = [
        ...(d.total > 0 ? [`${d.started} of ${d.total} derivations`] : []),
        ...(f.total > 0 ? [`fetching ${f.started} of ${f.total} paths`] : []),
      ];
      return parts.length > 0 ? `building ${parts.join(', ')}` : 'building';
    }
    case 'grouping':
      return 'grouping layers';
    case 'writing':
      return `writing layer ${Math.min(stage.layer + 1, stage.layers)} of ${stage.layers}`;
    case 'done':
      return `done in ${(stage.timings.totalMs / 1000).toFixed(1)} s`;
    case 'failed':
      return `failed (${stage.reason}): ${stage.message}`;
  }
}
