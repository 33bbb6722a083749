import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUnsupportedSystem, parseUnknownPackages } from './classify.js';
import { causeFirst, errorBlocks, failedDerivation, refusalOf } from './nix-errors.js';
import { parsePathInfoJson } from './path-info.js';
import { buildTargets, outPaths, parsePlan, type UnplannedPackage } from './plan.js';
import { type NixRun, runNix } from './run-nix.js';
import type { BuildRequest, ImagePackage, NixOptions, NixResult, PackageProblem } from './types.js';

/** nix/image.nix of this repository. */
export const IMAGE_NIX_PATH = fileURLToPath(new URL('../../../nix/image.nix', import.meta.url));

/**
 * Evaluates, builds and measures the closure of an image's packages:
 * 1. `nix-instantiate --eval --strict --json --read-write-mode nix/image.nix -A plan` resolves the
 *    names (passed as JSON) and writes the derivations;
 * 2. `nix-build <drv>!<output> …` builds them and coreutils (for /usr/bin/env), registering GC
 *    roots in `gcRootDir` when given (else `--no-out-link`);
 * 3. `nix path-info --json --recursive --closure-size` reads the runtime graph.
 * One deadline covers all three. Failures come back as typed results, never as exceptions
 * (except an abort through `signal`, which rejects with its reason).
 */
export async function buildImageClosure(request: BuildRequest, options: NixOptions): Promise<NixResult> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const programs = nixPrograms(options.nixBuildPath);
  const common = [
    ...(options.substituters !== undefined ? ['--option', 'substituters', options.substituters] : []),
    ...(options.extraNixArgs ?? []),
  ];
  const run = (file: string, args: string[]) =>
    runNix(file, args, {
      timeoutMs: Math.max(1, deadline - Date.now()),
      onLogLine: options.onLogLine,
      signal: options.signal,
    });
  const slot = options.evaluationSlot ?? ((task) => task());
  const evaluate = (packages: string[], strict: boolean) =>
    slot(() =>
      run(programs.instantiate, [
        '--eval',
        '--strict',
        '--json',
        '--read-write-mode',
        ...common,
        options.imageNixPath ?? IMAGE_NIX_PATH,
        '-A',
        'plan',
        '--argstr',
        'source',
        request.source.nixArg,
        '--argstr',
        'packages',
        JSON.stringify(packages),
        '--argstr',
        'system',
        request.system,
        '--argstr',
        'settings',
        JSON.stringify({ allowUnfree: options.allowUnfree ?? false }),
        ...(strict ? ['--argstr', 'strict', 'true'] : []),
      ]),
    );
  const failure = (step: NixRun): NixResult => {
    if (step.notFound || step.startError !== null) {
      return { ok: false, kind: 'nix-missing', message: `cannot run Nix: ${step.startError ?? 'not found'}` };
    }
    const logTail = causeFirst(step.tail).join('\n');
    if (step.timedOut) return { ok: false, kind: 'timeout', seconds: options.timeoutSeconds, logTail };
    const unknown = parseUnknownPackages(logTail);
    if (unknown !== null) return { ok: false, kind: 'unknown-packages', names: unknown };
    if (isUnsupportedSystem(logTail)) {
      return {
        ok: false,
        kind: 'unsupported-system',
        system: request.system,
        message:
          `this machine cannot build packages for ${request.system} (the bundled package set builds only ` +
          'for the native system; other systems need a Nix remote builder or a binary cache that has them)',
      };
    }
    return {
      ok: false,
      kind: 'build-failed',
      derivation: failedDerivation(step.tail),
      errors: errorBlocks(step.tail),
      logTail,
    };
  };
  /** Why one name fails, from Nix's error when it is evaluated alone with nothing caught. */
  const explain = async (
    name: string,
    known?: UnplannedPackage,
  ): Promise<PackageProblem | NixResult | null> => {
    const alone = await evaluate([name], true);
    if (alone.exitCode === 0 || alone.timedOut || alone.startError !== null) {
      return alone.exitCode === 0 ? null : failure(alone);
    }
    return problemFrom(name, alone.tail, known);
  };
  /** Every name's problem, or the first failure that stopped the explaining (a timeout, …). */
  const explainAll = async (
    names: { name: string; known?: UnplannedPackage }[],
  ): Promise<PackageProblem[] | NixResult> => {
    const answers = await Promise.all(names.map(({ name, known }) => explain(name, known)));
    const stop = answers.find((a): a is NixResult => a !== null && 'ok' in a);
    if (stop) return stop;
    return answers.filter((a): a is PackageProblem => a !== null);
  };

  const evaluation = await evaluate(request.packages, false);
  if (evaluation.exitCode !== 0) {
    const stopped = failure(evaluation);
    if (stopped.ok || stopped.kind !== 'build-failed') return stopped;
    // An error builtins.tryEval cannot catch (abort, a missing file): find whose it is.
    const [only] = request.packages;
    if (request.packages.length === 1 && only !== undefined) {
      return { ok: false, kind: 'package-problems', problems: [problemFrom(only, evaluation.tail)] };
    }
    if (request.packages.length > MAX_ISOLATED_NAMES) return evaluationFailed(evaluation.tail);
    const problems = await explainAll(request.packages.map((name) => ({ name })));
    if (!Array.isArray(problems)) return problems;
    // Every name failing alone with the same error is the package set failing, not the names.
    const messages = new Set(problems.map((p) => p.message));
    if (problems.length === 0 || (problems.length === request.packages.length && messages.size === 1)) {
      return evaluationFailed(evaluation.tail);
    }
    return { ok: false, kind: 'package-problems', problems };
  }
  const plan = parsePlan(evaluation.stdout);
  if (plan.unplanned.length > 0) {
    if (plan.unplanned.every((p) => p.status === 'unknown')) {
      return { ok: false, kind: 'unknown-packages', names: plan.unplanned.map((p) => p.name) };
    }
    const failed = plan.unplanned.filter((p) => p.status === 'failed');
    const explained = await explainAll(failed.map((known) => ({ name: known.name, known })));
    if (!Array.isArray(explained)) return explained;
    const byName = new Map(explained.map((p) => [p.name, p]));
    const problems = plan.unplanned.map(
      (p): PackageProblem =>
        p.status === 'unknown'
          ? { name: p.name, kind: 'unknown', message: '' }
          : (byName.get(p.name) ?? {
              name: p.name,
              kind: 'eval-error',
              attr: p.attr,
              message: `evaluating ${p.attr} failed inside builtins.tryEval but not on its own`,
            }),
    );
    return { ok: false, kind: 'package-problems', problems };
  }

  const targets = [...plan.packages.flatMap(buildTargets), ...(plan.env ? buildTargets(plan.env) : [])];
  // With a root directory, every built output gets an indirect GC root (result, result-2, …) there,
  // so a garbage collection cannot delete paths before the caller has packed them into layers.
  const outLink = options.gcRootDir ? ['--out-link', join(options.gcRootDir, 'result')] : ['--no-out-link'];
  const build = await run(programs.build, [...outLink, ...common, ...targets]);
  if (build.exitCode !== 0) return failure(build);

  const requestedPaths = unique(plan.packages.flatMap(outPaths));
  const envPaths = plan.env ? outPaths(plan.env) : [];
  const pathInfo = await run(programs.nix, [
    'path-info',
    '--json',
    '--recursive',
    '--closure-size',
    '--extra-experimental-features',
    'nix-command',
    ...common,
    ...unique([...requestedPaths, ...envPaths]),
  ]);
  if (pathInfo.exitCode !== 0) return failure(pathInfo);
  const graph = parsePathInfoJson(pathInfo.stdout);
  const inClosure = new Set(graph.map((p) => p.path));
  const missing = [...requestedPaths, ...envPaths].filter((p) => !inClosure.has(p));
  if (missing.length > 0) {
    const error = `nix path-info did not report ${missing.join(', ')}`;
    return { ok: false, kind: 'build-failed', derivation: null, errors: [error], logTail: error };
  }

  const packages: ImagePackage[] = plan.packages.map((p) => {
    const paths = outPaths(p);
    return { name: p.name, attr: p.attr, outPath: paths[0] as string, outPaths: paths };
  });
  return {
    ok: true,
    graph: { graph, exportReferencesGraph: { graph: requestedPaths } },
    packages,
    envPath: envPaths[0] ?? null,
  };
}

/** Past this many names, an uncatchable evaluation error is reported for the image, not per name. */
const MAX_ISOLATED_NAMES = 8;

/** A name's problem from the stderr of an evaluation of it alone. */
function problemFrom(name: string, tail: readonly string[], known?: UnplannedPackage): PackageProblem {
  const blocks = errorBlocks(tail);
  const message = blocks.at(-1) ?? (tail.join('\n').trim() || 'evaluation failed');
  const attr = known?.status === 'failed' ? { attr: known.attr } : {};
  const refusal = refusalOf(message);
  if (refusal !== null) return { name, kind: 'refused', refusal, message, ...attr };
  if (known?.status === 'failed' && known.stage === 'attribute')
    return { name, kind: 'removed', message, ...attr };
  return { name, kind: 'eval-error', message, ...attr };
}

function evaluationFailed(tail: readonly string[]): NixResult {
  return {
    ok: false,
    kind: 'evaluation-failed',
    errors: errorBlocks(tail),
    logTail: causeFirst(tail).join('\n'),
  };
}

function nixPrograms(nixBuildPath: string | undefined) {
  if (nixBuildPath === undefined || !nixBuildPath.includes('/')) {
    return { build: nixBuildPath ?? 'nix-build', instantiate: 'nix-instantiate', nix: 'nix' };
  }
  const dir = dirname(nixBuildPath);
  return { build: nixBuildPath, instantiate: join(dir, 'nix-instantiate'), nix: join(dir, 'nix') };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
