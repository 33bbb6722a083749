import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts one of this package's worker modules (`name` without extension, beside this file).
 * Compiled, it loads the `.js` with none of the process's flags (some, such as --input-type,
 * would even stop it from starting). Run from TypeScript sources (tests, `--conditions=source`),
 * a worker's execArgv cannot add a loader, so it registers tsx itself first; the `source`
 * condition makes workspace packages resolve to their sources too, never a stale dist.
 */
export function startPackageWorker(
  name: string,
  options: Pick<WorkerOptions, 'workerData' | 'transferList'> = {},
): Worker {
  const here = import.meta.url;
  const fromSource = here.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, here);
  if (!fromSource) return new Worker(url, { ...options, execArgv: [] });
  const bootstrap = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true, execArgv: ['--conditions=source'] });
}
