import { LIST_ATTRIBUTES_NIX_PATH } from './expressions.js';
import { runNix } from './run-nix.js';

export type AttributeListing =
  | { ok: true; attributes: string[][] }
  | { ok: false; kind: 'nix-missing' | 'timeout' | 'evaluation-failed' | 'invalid-output'; message: string };

/**
 * Lists a local package set's derivations as attribute paths (`["python3Packages", "requests"]`),
 * top level and one level down, with nix/list-attributes.nix. Failures are typed results.
 */
export async function listPackageSetAttributes(
  path: string,
  system: string,
  options: { timeoutSeconds: number; substituters?: string; nixInstantiatePath?: string },
): Promise<AttributeListing> {
  const run = await runNix(
    options.nixInstantiatePath ?? 'nix-instantiate',
    [
      '--eval',
      '--strict',
      '--json',
      ...(options.substituters !== undefined ? ['--option', 'substituters', options.substituters] : []),
      LIST_ATTRIBUTES_NIX_PATH,
      '--argstr',
      'path',
      path,
      '--argstr',
      'system',
      system,
    ],
    { timeoutMs: options.timeoutSeconds * 1000 },
  );
  if (run.startError !== null) {
    const why = run.notFound ? 'not found' : run.startError;
    return { ok: false, kind: 'nix-missing', message: `cannot run nix-instantiate: ${why}` };
  }
  if (run.timedOut) {
    const message = `listing the attributes of ${path} timed out after ${options.timeoutSeconds} s`;
    return { ok: false, kind: 'timeout', message };
  }
  if (run.exitCode !== 0) {
    const message = `listing the attributes of ${path} failed:\n${run.tail.join('\n').trim()}`;
    return { ok: false, kind: 'evaluation-failed', message };
  }
  const names = parseJson(run.stdout);
  if (
    !Array.isArray(names) ||
    !names.every((p) => Array.isArray(p) && p.every((c) => typeof c === 'string'))
  ) {
    const message = 'nix-instantiate returned something other than a list of attribute paths';
    return { ok: false, kind: 'invalid-output', message };
  }
  return { ok: true, attributes: names as string[][] };
}

/** The Nix system of this machine's CPU, or null for one Nix has no Linux system for here. */
export function hostSystem(arch: string = process.arch): string | null {
  if (arch === 'x64') return 'x86_64-linux';
  if (arch === 'arm64') return 'aarch64-linux';
  return null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
