import { IMAGE_NIX_PATH } from './expressions.js';
import { errorBlocks, refusalOf } from './nix-errors.js';
import { type NixSession, nixSession } from './nix-session.js';
import {
  type ImagePlan,
  type PlannedDerivation,
  type PlannedPackage,
  parsePlan,
  type UnplannedPackage,
} from './plan.js';
import type { BuildRequest, NixFailure, NixOptions, PackageProblem } from './types.js';

/** Past this many names, an uncatchable evaluation error is reported for the image, not per name. */
const MAX_ISOLATED_NAMES = 8;

/**
 * What evaluating some names gave: the names that resolved and coreutils (for /usr/bin/env), even
 * when others failed (so a caller can remember them), and the failure, if any.
 */
export interface NameResolution {
  found: PlannedPackage[];
  /** coreutils' derivation (null: the set has none); absent when no evaluation gave a plan. */
  env?: PlannedDerivation | null;
  failure: NixFailure | null;
}

/** planImage's answer: the whole plan, or the failure (as resolveNames found it). */
export async function planImage(
  request: BuildRequest,
  options: NixOptions,
  session: NixSession = nixSession(request, options),
): Promise<{ ok: true; plan: ImagePlan } | NixFailure> {
  const { found, env, failure } = await resolveNames(request, options, session);
  return failure ?? { ok: true, plan: { packages: found, unplanned: [], env: env ?? null } };
}

/**
 * Resolves an image's names with one evaluation of `nix/image.nix -A plan` (which writes the
 * .drv files). Every name that does not resolve is reported, each with its own problem:
 * names the combined evaluation caught failing (tryEval) are evaluated once more, alone and
 * uncaught, for Nix's message; when the combined evaluation itself died of an uncatchable error,
 * each name is evaluated alone to find whose it is (up to MAX_ISOLATED_NAMES names).
 */
export async function resolveNames(
  request: BuildRequest,
  options: NixOptions,
  session: NixSession = nixSession(request, options),
): Promise<NameResolution> {
  const slot = options.evaluationSlot ?? ((task) => task());
  const evaluate = (packages: string[], strict: boolean) =>
    slot(async () => {
      options.onEvaluation?.();
      try {
        return await session.run('evaluation', session.programs.instantiate, [
          '--eval',
          '--strict',
          '--json',
          '--read-write-mode',
          ...session.common,
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
        ]);
      } finally {
        options.onEvaluationEnd?.();
      }
    });

  /** Why one name fails (null: it does not, alone), or the failure that stopped the asking. */
  const explain = async (
    name: string,
    known?: UnplannedPackage,
  ): Promise<PackageProblem | NixFailure | null> => {
    const alone = await evaluate([name], true);
    if (alone.exitCode === 0) return null;
    if (alone.timedOut || alone.startError !== null) return session.failure('evaluation', alone);
    return problemFrom(name, alone.tail, known);
  };
  const explainAll = async (
    names: { name: string; known?: UnplannedPackage }[],
  ): Promise<PackageProblem[] | NixFailure> => {
    const answers = await Promise.all(names.map(({ name, known }) => explain(name, known)));
    const stop = answers.find((a): a is NixFailure => a !== null && 'ok' in a);
    if (stop) return stop;
    return answers.filter((a): a is PackageProblem => a !== null);
  };

  const failed = (
    failure: NixFailure,
    found: PlannedPackage[] = [],
    env: PlannedDerivation | null = null,
  ) => ({
    found,
    env,
    failure,
  });

  const evaluation = await evaluate(request.packages, false);
  if (evaluation.exitCode !== 0) {
    const stopped = session.failure('evaluation', evaluation);
    if (stopped.kind !== 'build-failed') return failed(stopped);
    // An error builtins.tryEval cannot catch (abort, a missing file): find whose it is.
    const [only] = request.packages;
    if (request.packages.length === 1 && only !== undefined) {
      return failed({ ok: false, kind: 'package-problems', problems: [problemFrom(only, evaluation.tail)] });
    }
    if (request.packages.length > MAX_ISOLATED_NAMES) return failed(evaluationFailed(stopped));
    const problems = await explainAll(request.packages.map((name) => ({ name })));
    if (!Array.isArray(problems)) return failed(problems);
    // Every name failing alone with the same error is the package set failing, not the names.
    const messages = new Set(problems.map((p) => p.message));
    if (problems.length === 0 || (problems.length === request.packages.length && messages.size === 1)) {
      return failed(evaluationFailed(stopped));
    }
    return failed({ ok: false, kind: 'package-problems', problems });
  }

  const plan = parsePlan(evaluation.stdout);
  const { packages: found, env } = plan;
  if (plan.unplanned.length === 0) return { found, env, failure: null };
  if (plan.unplanned.every((p) => p.status === 'unknown')) {
    const names = plan.unplanned.map((p) => p.name);
    return failed({ ok: false, kind: 'unknown-packages', names }, found, env);
  }
  const failing = plan.unplanned.filter((p) => p.status === 'failed');
  const explained = await explainAll(failing.map((known) => ({ name: known.name, known })));
  if (!Array.isArray(explained)) return failed(explained, found, env);
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
  return failed({ ok: false, kind: 'package-problems', problems }, found, env);
}

/** A name's problem from the stderr of an evaluation of it alone. */
function problemFrom(name: string, tail: readonly string[], known?: UnplannedPackage): PackageProblem {
  const message = errorBlocks(tail).at(-1) ?? (tail.join('\n').trim() || 'evaluation failed');
  const attr = known?.status === 'failed' ? { attr: known.attr } : {};
  const refusal = refusalOf(message);
  if (refusal !== null) return { name, kind: 'refused', refusal, message, ...attr };
  if (known?.status === 'failed' && known.stage === 'attribute')
    return { name, kind: 'removed', message, ...attr };
  return { name, kind: 'eval-error', message, ...attr };
}

function evaluationFailed(failure: Extract<NixFailure, { kind: 'build-failed' }>): NixFailure {
  return { ok: false, kind: 'evaluation-failed', errors: failure.errors, logTail: failure.logTail };
}
