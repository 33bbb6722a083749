import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUnsupportedSystem, parseUnknownPackages } from './classify.js';
import { parsePathInfoJson } from './path-info.js';
import { buildTargets, outPaths, parsePlan } from './plan.js';
import { type NixRun, runNix } from './run-nix.js';
import type { BuildRequest, ImagePackage, NixOptions, NixResult } from './types.js';

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
  const failure = (step: NixRun): NixResult => {
    if (step.notFound || step.startError !== null) {
      return { ok: false, kind: 'nix-missing', message: `cannot run Nix: ${step.startError ?? 'not found'}` };
    }
    const logTail = step.tail.join('\n');
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
    return { ok: false, kind: 'build-failed', logTail };
  };

  const evaluation = await run(programs.instantiate, [
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
    JSON.stringify(request.packages),
    '--argstr',
    'system',
    request.system,
  ]);
  if (evaluation.exitCode !== 0) return failure(evaluation);
  const plan = parsePlan(evaluation.stdout);

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
    return { ok: false, kind: 'build-failed', logTail: `nix path-info did not report ${missing.join(', ')}` };
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
