import { dirname, join } from 'node:path';
import { NixBuildProgressParser } from './build-progress.js';
import { isUnsupportedSystem, parseUnknownPackages } from './classify.js';
import { causeFirst, errorBlocks, failedDerivation } from './nix-errors.js';
import { type NixRun, runNix } from './run-nix.js';
import type { BuildRequest, NixFailure, NixOptions } from './types.js';

/** Which limit a Nix step runs under (each gives its own timeout error). */
export type NixStep = 'evaluation' | 'build' | 'path-info';

/** When evaluation has no bound of its own configured. */
export const DEFAULT_EVALUATION_TIMEOUT_SECONDS = 300;
/** NIX_TIMEOUT when none is configured: each build may run, or stay silent, this long. */
export const DEFAULT_BUILD_TIMEOUT_SECONDS = 60;
/** The path-info step only reads the store database. */
const PATH_INFO_TIMEOUT_SECONDS = 120;
/**
 * The build step's own kill switch, far past NIX_TIMEOUT: Nix enforces NIX_TIMEOUT per build
 * (`--timeout`, `--max-silent-time`), and downloads are bounded by Nix's own stall timeouts.
 */
const BUILD_PROCESS_LIMIT_SECONDS = 6 * 3600;

/** The programs, common arguments and failure mapping one image's Nix calls share. */
export interface NixSession {
  programs: { build: string; instantiate: string; nix: string; store: string };
  /** Arguments every Nix call gets (substituters, keys, builders, extra arguments). */
  common: string[];
  run(step: NixStep, file: string, args: string[]): Promise<NixRun>;
  /** A failed step as a typed result. */
  failure(step: NixStep, run: NixRun): NixFailure;
}

export function nixSession(request: BuildRequest, options: NixOptions): NixSession {
  const evaluationSeconds = options.evaluationTimeoutSeconds ?? DEFAULT_EVALUATION_TIMEOUT_SECONDS;
  const limitSeconds = (step: NixStep) =>
    step === 'evaluation'
      ? evaluationSeconds
      : step === 'path-info'
        ? PATH_INFO_TIMEOUT_SECONDS
        : BUILD_PROCESS_LIMIT_SECONDS;
  return {
    programs: nixPrograms(options.nixBuildPath),
    common: [...nixSettingArgs(options), ...(options.extraNixArgs ?? [])],
    run: (step, file, args) => {
      options.onStep?.(step);
      return runNix(file, args, {
        timeoutMs: limitSeconds(step) * 1000,
        onLogLine: step === 'build' ? progressReading(options) : options.onLogLine,
        signal: options.signal,
      });
    },
    failure: (step, run) => {
      if (run.notFound || run.startError !== null) {
        return {
          ok: false,
          kind: 'nix-missing',
          message: `cannot run Nix: ${run.startError ?? 'not found'}`,
        };
      }
      const logTail = causeFirst(run.tail).join('\n');
      if (run.timedOut || (step === 'build' && isBuildTimeout(run.tail))) {
        const seconds = run.timedOut ? limitSeconds(step) : options.timeoutSeconds;
        return { ok: false, kind: 'timeout', step, seconds, logTail };
      }
      const unknown = parseUnknownPackages(logTail);
      if (unknown !== null) return { ok: false, kind: 'unknown-packages', names: unknown };
      if (isUnsupportedSystem(logTail)) {
        return {
          ok: false,
          kind: 'unsupported-system',
          system: request.system,
          message:
            `this machine cannot build packages for ${request.system} (Nix has no builder for it: the native ` +
            "system builds here, others need Nix's extra-platforms with an emulator, a remote builder or a binary cache that has them)",
        };
      }
      return {
        ok: false,
        kind: 'build-failed',
        derivation: failedDerivation(run.tail),
        errors: errorBlocks(run.tail),
        logTail,
      };
    },
  };
}

/** The configured Nix settings as `--option NAME VALUE` pairs; unset ones keep Nix's configuration. */
function nixSettingArgs(options: NixOptions): string[] {
  const settings: [string, string | undefined][] = [
    ['substituters', options.substituters],
    ['trusted-public-keys', options.trustedPublicKeys],
    ['builders', options.builders],
  ];
  return settings.flatMap(([name, value]) => (value === undefined ? [] : ['--option', name, value]));
}

/** The build step's log consumer: each line to onLogLine, and the progress it shows to onBuildProgress. */
function progressReading(options: NixOptions): ((line: string) => void) | undefined {
  const { onLogLine, onBuildProgress } = options;
  if (!onBuildProgress) return onLogLine;
  const parser = new NixBuildProgressParser();
  return (line) => {
    onLogLine?.(line);
    const progress = parser.feed(line);
    if (progress) onBuildProgress(progress);
  };
}

/** Nix's own `--timeout` / `--max-silent-time` ("… timed out after N seconds"). */
function isBuildTimeout(tail: readonly string[]): boolean {
  return tail.some((line) => /timed out after \d+ seconds|silent for \d+ seconds/.test(line));
}

function nixPrograms(nixBuildPath: string | undefined) {
  if (nixBuildPath === undefined || !nixBuildPath.includes('/')) {
    return {
      build: nixBuildPath ?? 'nix-build',
      instantiate: 'nix-instantiate',
      nix: 'nix',
      store: 'nix-store',
    };
  }
  const dir = dirname(nixBuildPath);
  return {
    build: nixBuildPath,
    instantiate: join(dir, 'nix-instantiate'),
    nix: join(dir, 'nix'),
    store: join(dir, 'nix-store'),
  };
}
