import {
  type BuildPlan,
  type BuildRequest,
  type NixFailure,
  type NixOptions,
  type PackageProblem,
  type PlannedPackage,
  resolveNames,
  storePathsValid,
} from '@nixery/nix';
import type { ResolvedSource } from '@nixery/source';
import { failureOfProblems, type NameOutcomes, problemsOf, type RecalledNames } from './name-outcomes.js';

/**
 * Stage 2's first half through the name outcomes: an image's names → the derivations to build,
 * evaluating only the names nothing is remembered of (none, for a pull of names seen before),
 * or every name's problem. Remembered derivations no longer in the store (a garbage collection,
 * another machine's store behind shared storage) send every name to evaluation again.
 */
export async function resolveImageNames(
  outcomes: NameOutcomes,
  target: BuildRequest & { source: ResolvedSource },
  options: NixOptions,
): Promise<BuildPlan | NixFailure> {
  const { source, system, packages: names } = target;
  const recalled = await outcomes.recall(source, system, names);
  // Every name known and some failing: the answer needs no Nix at all.
  if (recalled.unknown.length === 0 && recalled.problems.length > 0)
    return failureOfProblems(recalled.problems);

  let merged: RecalledNames | NixFailure = recalled;
  const needsEvaluation = recalled.unknown.length > 0 || recalled.env === undefined;
  if (!needsEvaluation && !(await storePathsValid(target, derivationsOf(recalled), options))) {
    merged = await evaluate(outcomes, target, names, emptyRecall(), options);
  } else if (needsEvaluation) {
    merged = await evaluate(outcomes, target, recalled.unknown, recalled, options);
  }
  if ('ok' in merged) return merged;
  if (merged.problems.length > 0) {
    const order = new Map(names.map((name, index) => [name, index]));
    const byRequest = (a: PackageProblem, b: PackageProblem) =>
      (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0);
    return failureOfProblems([...merged.problems].sort(byRequest));
  }
  return {
    packages: names.map((name) => merged.found.get(name) as PlannedPackage),
    env: merged.env ?? null,
  };
}

/** Evaluates `names`, learns the answers and merges them into what was remembered. */
async function evaluate(
  outcomes: NameOutcomes,
  target: BuildRequest & { source: ResolvedSource },
  names: string[],
  recalled: RecalledNames,
  options: NixOptions,
): Promise<RecalledNames | NixFailure> {
  const { source, system } = target;
  const result = await resolveNames({ ...target, packages: names }, options);
  await outcomes.learn(source, system, names, result);
  const problems = problemsOf(result.failure);
  // A failure of the whole evaluation (a timeout, the package set failing) is the answer itself.
  if (result.failure !== null && problems.size === 0) return result.failure;
  const found = new Map(recalled.found);
  for (const p of result.found) found.set(p.name, p);
  return {
    found,
    problems: [...recalled.problems, ...problems.values()],
    unknown: [],
    env: result.env !== undefined ? result.env : recalled.env,
  };
}

function derivationsOf(recalled: RecalledNames): string[] {
  const drvs = [...recalled.found.values()].map((p) => p.drvPath);
  if (recalled.env) drvs.push(recalled.env.drvPath);
  return [...new Set(drvs)];
}

function emptyRecall(): RecalledNames {
  return { found: new Map(), problems: [], unknown: [], env: undefined };
}
