import { nixSession } from './nix-session.js';
import type { BuildRequest, NixOptions } from './types.js';

/**
 * Whether every given store path (e.g. .drv files an earlier evaluation wrote) is still in the
 * store: a garbage collection may have deleted them since. `nix-store --check-validity` reads
 * the store database only and fails when any path is missing.
 */
export async function storePathsValid(
  request: BuildRequest,
  paths: string[],
  options: NixOptions,
): Promise<boolean> {
  if (paths.length === 0) return true;
  const session = nixSession(request, options);
  const run = await session.run('path-info', session.programs.store, ['--check-validity', ...paths]);
  return run.exitCode === 0;
}
