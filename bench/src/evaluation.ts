import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostSystem, planImage } from '@nixery/nix';
import { BUNDLED_PACKAGE_SET_PATH, parseImageName, resolveSourceForTag } from '@nixery/source';
// The e2e tests' wrappers around Nix's programs (as the storm bench shares their run log).
import { shellQuote, writeNixWrappers } from '../../e2e/test/support/counted-nix.js';
import type { Figure } from './results.js';
import { MB, round } from './stats.js';

/** Images of the bundled set whose evaluation is measured (the README's examples). */
const BUNDLED_IMAGES = ['hello', 'shell/git/htop', 'python3packages.requests', 'shell/git/hello'];
/** Names that evaluate in the real-nixpkgs slice (its README lists them). */
const REAL_NIXPKGS_IMAGES = ['hello', 'shell/git/htop', 'python3', 'nodejs/curl/jq', 'gcc/cmake/gnumake'];
const REAL_NIXPKGS_TARBALL =
  process.env.NIXERY_REAL_NIXPKGS_TARBALL ?? '/work/shared/fixtures/nixpkgs-pruned-26.11.tar.gz';

/** One evaluation run of an image: what its nix-instantiate children cost. */
export interface EvaluationCost {
  set: string;
  image: string;
  ok: boolean;
  /** Wall time of planImage (every evaluation it ran, and their start-up). */
  wallMs: number;
  /** nix-instantiate processes run (a failing name is evaluated again alone). */
  evaluations: number;
  /** Their elapsed seconds as GNU time reports them, summed. */
  evaluationMs: number;
  /** The largest of their peak RSS (GNU time's %M, the kernel's ru_maxrss of the child). */
  peakRssBytes: number;
}

/**
 * Evaluation cost per image: `planImage` from @nixery/nix (the builder's stage 1: one
 * `nix-instantiate --eval -A plan` of nix/image.nix, which also writes the .drv files), with
 * nix-instantiate run under `/usr/bin/time`, whose `%M` is the child's peak resident set as the
 * kernel accounted it when it exited (wait4's ru_maxrss): no sampling, so no peak is missed.
 * The wrapper takes the place of Nix's programs through @nixery/nix's `nixBuildPath` option.
 * Nothing is built.
 */
export async function runEvaluationCost(options: {
  workDir: string;
  smoke: boolean;
  log: (line: string) => void;
}): Promise<{ costs: EvaluationCost[]; figures: Figure[] }> {
  const dir = join(options.workDir, 'evaluation');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const timings = join(dir, 'nix-instantiate.times');
  const nixBuildPath = await writeTimedNix(join(dir, 'bin'), timings);
  const costs: EvaluationCost[] = [];

  const measure = async (set: string, path: string, image: string) => {
    const request = parseImageName(image);
    const source = resolveSourceForTag({ kind: 'path', path }, 'latest');
    await writeFile(timings, '');
    const started = performance.now();
    const result = await planImage(
      { packages: request.packages, system: hostSystem() ?? 'x86_64-linux', source },
      { timeoutSeconds: 600, evaluationTimeoutSeconds: 600, substituters: '', nixBuildPath },
    );
    const wallMs = Math.round(performance.now() - started);
    const runs = parseTimes(await readFile(timings, 'utf8'));
    const cost: EvaluationCost = {
      set,
      image,
      ok: result.ok,
      wallMs,
      evaluations: runs.length,
      evaluationMs: Math.round(runs.reduce((sum, r) => sum + r.seconds * 1000, 0)),
      peakRssBytes: Math.max(0, ...runs.map((r) => r.maxRssKiB * 1024)),
    };
    if (runs.length === 0) throw new Error(`evaluating ${image} (${set}) ran no timed nix-instantiate`);
    options.log(`  evaluation ${set} ${image}: ${JSON.stringify(cost)}`);
    costs.push(cost);
  };

  options.log('evaluation cost: bundled set');
  for (const image of options.smoke ? BUNDLED_IMAGES.slice(0, 1) : BUNDLED_IMAGES) {
    await measure('bundled set', BUNDLED_PACKAGE_SET_PATH, image);
  }
  if (!options.smoke) {
    options.log('evaluation cost: real nixpkgs slice');
    const unpacked = await mkdtemp(join(dir, 'nixpkgs-'));
    try {
      execFileSync('tar', ['-xzf', REAL_NIXPKGS_TARBALL, '-C', unpacked]);
      for (const image of REAL_NIXPKGS_IMAGES) {
        await measure('real nixpkgs 26.11 slice', join(unpacked, 'fixture'), image);
      }
    } finally {
      await rm(unpacked, { recursive: true, force: true });
    }
  }
  return { costs, figures: evaluationFigures(costs) };
}

/**
 * A folder with nix-build, nix-instantiate and nix: the host's programs, nix-instantiate run
 * under GNU time appending "<elapsed s> <max RSS KiB>" per run to `timings`.
 */
async function writeTimedNix(bin: string, timings: string): Promise<string> {
  await writeNixWrappers(
    bin,
    (program, real) =>
      program === 'nix-instantiate'
        ? `exec /usr/bin/time -a -o ${shellQuote(timings)} -f '%e %M' ${real} "$@"`
        : `exec ${real} "$@"`,
    ['nix-build', 'nix-instantiate', 'nix'],
  );
  return join(bin, 'nix-build');
}

/** GNU time's lines (a failing run adds "Command exited with non-zero status N" before its own). */
function parseTimes(text: string): { seconds: number; maxRssKiB: number }[] {
  return text
    .split('\n')
    .map((line) => /^([\d.]+) (\d+)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ seconds: Number(m[1]), maxRssKiB: Number(m[2]) }));
}

function evaluationFigures(costs: EvaluationCost[]): Figure[] {
  return costs.flatMap((cost) => {
    const section = `evaluation cost (${cost.set})`;
    const runs = cost.evaluations === 1 ? '' : `, ${cost.evaluations} nix-instantiate runs`;
    const failed = cost.ok ? '' : ' (evaluation failed)';
    return [
      {
        section,
        name: `${cost.image}: nix-instantiate time${runs}${failed}`,
        value: cost.evaluationMs,
        unit: 'ms',
      },
      {
        section,
        name: `${cost.image}: nix-instantiate peak RSS (GNU time %M)`,
        value: round(cost.peakRssBytes / MB),
        unit: 'MB',
      },
    ];
  });
}
