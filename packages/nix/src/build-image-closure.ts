import { join } from 'node:path';
import { nixSession } from './nix-session.js';
import { parsePathInfoJson } from './path-info.js';
import { buildTargets, outPaths, type PlannedDerivation, type PlannedPackage } from './plan.js';
import { planImage } from './plan-image.js';
import { CLOSURE_PATH_INFO_ARGS } from './run-nix.js';
import type { BuildRequest, ImagePackage, NixOptions, NixResult } from './types.js';

/** What the build needs of an evaluation: the names' derivations and coreutils' (for /usr/bin/env). */
export interface BuildPlan {
  packages: PlannedPackage[];
  env: PlannedDerivation | null;
}

/**
 * Evaluates, builds and measures the closure of an image's packages:
 * 1. planImage: `nix-instantiate --eval --strict --json --read-write-mode nix/image.nix -A plan`
 *    resolves the names (passed as JSON) and writes the derivations;
 * 2. `nix-build <drv>!<output> …` builds them and coreutils (for /usr/bin/env), registering GC
 *    roots in `gcRootDir` when given (else `--no-out-link`);
 * 3. `nix path-info --json --recursive --closure-size` reads the runtime graph.
 * Each step has its own limit (NixOptions). Failures come back as typed results, never as
 * exceptions (except an abort through `signal`, which rejects with its reason).
 */
export async function buildImageClosure(request: BuildRequest, options: NixOptions): Promise<NixResult> {
  const session = nixSession(request, options);
  const planned = await planImage(request, options, session);
  if (!planned.ok) return planned;
  return buildPlannedClosure(request, planned.plan, options, session);
}

/**
 * Steps 2 and 3 of buildImageClosure for derivations already written (by an earlier
 * evaluation): builds and measures the closure without evaluating the package set.
 */
export async function buildPlannedClosure(
  request: BuildRequest,
  plan: BuildPlan,
  options: NixOptions,
  session = nixSession(request, options),
): Promise<NixResult> {
  const { programs, common } = session;

  const targets = [...plan.packages.flatMap(buildTargets), ...(plan.env ? buildTargets(plan.env) : [])];
  // With a root directory, every built output gets an indirect GC root (result, result-2, …) there,
  // so a garbage collection cannot delete paths before the caller has packed them into layers.
  const outLink = options.gcRootDir ? ['--out-link', join(options.gcRootDir, 'result')] : ['--no-out-link'];
  const build = await session.run('build', programs.build, [
    ...outLink,
    // NIX_TIMEOUT bounds each build, as in Nixery; downloads are not builds and are not cut off.
    '--timeout',
    String(options.timeoutSeconds),
    '--max-silent-time',
    String(options.timeoutSeconds),
    ...common,
    ...targets,
  ]);
  if (build.exitCode !== 0) return session.failure('build', build);

  const requestedPaths = unique(plan.packages.flatMap(outPaths));
  const envPaths = plan.env ? outPaths(plan.env) : [];
  const pathInfo = await session.run('path-info', programs.nix, [
    ...CLOSURE_PATH_INFO_ARGS,
    ...common,
    ...unique([...requestedPaths, ...envPaths]),
  ]);
  if (pathInfo.exitCode !== 0) return session.failure('path-info', pathInfo);
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

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
