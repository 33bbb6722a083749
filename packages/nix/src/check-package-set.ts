import { PROBE_NIX_PATH } from './expressions.js';
import { errorSummary } from './nix-errors.js';
import { DEFAULT_EVALUATION_TIMEOUT_SECONDS } from './nix-session.js';
import { runNix } from './run-nix.js';

export type PackageSetCheck =
  | { ok: true; nixVersion: string }
  /** The set states features this Nix lacks: serving it would fail every pull. */
  | { ok: false; kind: 'nix-too-old'; nixVersion: string; missing: string[]; message: string }
  /** The check itself could not run (no Nix, no network for a channel, …): worth a warning only. */
  | { ok: false; kind: 'check-failed'; message: string };

/**
 * The start-up check: reads the package set's own minimum-Nix declaration (nixpkgs'
 * lib/minfeatures.nix) with the installed Nix, without loading the package set (well under a
 * second). Fetching a channel or git source happens here too, when it is not cached yet.
 */
export async function checkPackageSet(
  source: { nixArg: string },
  options: { nixInstantiatePath?: string; timeoutSeconds?: number; probeNixPath?: string } = {},
): Promise<PackageSetCheck> {
  const run = await runNix(
    options.nixInstantiatePath ?? 'nix-instantiate',
    [
      '--eval',
      '--strict',
      '--json',
      options.probeNixPath ?? PROBE_NIX_PATH,
      '--argstr',
      'source',
      source.nixArg,
    ],
    { timeoutMs: (options.timeoutSeconds ?? DEFAULT_EVALUATION_TIMEOUT_SECONDS) * 1000 },
  );
  if (run.startError !== null) return { ok: false, kind: 'check-failed', message: run.startError };
  if (run.exitCode !== 0) {
    const why = run.timedOut ? 'timed out' : (errorSummary(run.tail) ?? run.tail.join('\n'));
    return { ok: false, kind: 'check-failed', message: `could not check the package set: ${why}` };
  }
  const probe = JSON.parse(run.stdout) as { missing: string[]; nixVersion: string };
  if (probe.missing.length === 0) return { ok: true, nixVersion: probe.nixVersion };
  return {
    ok: false,
    kind: 'nix-too-old',
    nixVersion: probe.nixVersion,
    missing: probe.missing,
    message:
      `the package set needs a Nix with ${probe.missing.join('; ')}, but the installed Nix is ${probe.nixVersion}` +
      ' (put a newer Nix first on PATH; see README "Nix versions")',
  };
}
