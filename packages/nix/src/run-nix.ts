import { Worker } from 'node:worker_threads';
import { type NixRun, pureNixEnv } from './run-nix-here.js';
import type { FromSpawner, ToSpawner } from './spawn-protocol.js';

export { LOG_TAIL_LINES, type NixRun, pureNixEnv } from './run-nix-here.js';

export interface RunOptions {
  timeoutMs: number;
  onLogLine?: ((line: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

const here = import.meta.url;
/** Run from TypeScript sources (tests, `--conditions=source`), the worker loads through tsx. */
const fromSource = here.endsWith('.ts');
const workerUrl = new URL(fromSource ? './spawn-worker.ts' : './spawn-worker.js', here);

interface Pending {
  resolve: (run: NixRun & { canceled: boolean }) => void;
  reject: (error: Error) => void;
  onLogLine: ((line: string) => void) | undefined;
  pid: number | null;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

/**
 * An idle spawner thread ends after this long. Its isolate holds about 9 MB, and a build's
 * layers (the peak of its memory) are written after its last Nix run; the next build starts a
 * new thread in a few ms. Runs of one build follow each other far faster than this.
 */
export const SPAWNER_IDLE_MS = 1000;
let idleTimer: NodeJS.Timeout | null = null;

/** Whether the spawner thread is running now (for tests). */
export function spawnerIsRunning(): boolean {
  return worker !== null;
}

function spawner(): Worker {
  if (worker) return worker;
  const started = fromSource
    ? // As @nixery/archive's pack workers: the worker registers tsx itself, then loads the source.
      new Worker(
        `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(workerUrl.href)}); });`,
        { eval: true, execArgv: ['--conditions=source'] },
      )
    : new Worker(workerUrl, { execArgv: [] });
  started.on('message', (message: FromSpawner) => {
    const run = pending.get(message.id);
    if (!run) return;
    switch (message.type) {
      case 'pid':
        run.pid = message.pid;
        return;
      case 'line':
        try {
          run.onLogLine?.(message.line);
        } catch {
          // A failing log consumer must not break the build.
        }
        return;
      case 'done':
        finish(message.id);
        run.resolve(message.result);
        return;
      case 'failed':
        finish(message.id);
        run.reject(new Error(`running Nix failed: ${message.message}`));
        return;
    }
  });
  const lost = (why: string) => {
    if (worker === started) worker = null;
    for (const [id, run] of pending) {
      finish(id);
      run.reject(new Error(`the Nix spawner thread ${why}`));
    }
  };
  started.on('error', (error) => lost(`failed: ${error.message}`));
  started.on('exit', (code) => lost(`exited (${code})`));
  started.unref();
  worker = started;
  return started;
}

function finish(id: number): void {
  pending.delete(id);
  if (pending.size > 0) return;
  // An idle spawner never keeps the process alive, and ends once it has been idle a while.
  worker?.unref();
  cancelIdleExit();
  idleTimer = setTimeout(endIdleSpawner, SPAWNER_IDLE_MS);
  idleTimer.unref();
}

function cancelIdleExit(): void {
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = null;
}

function endIdleSpawner(): void {
  idleTimer = null;
  const idle = worker;
  if (idle === null || pending.size > 0) return;
  worker = null; // the next run starts a new one
  // Its ending is not a loss: nothing is pending on it.
  idle.removeAllListeners('exit');
  idle.removeAllListeners('error');
  idle.on('error', () => {});
  void idle.terminate();
}

// Nix started by this process does not outlive it (execa's own clean-up is main-thread only).
process.once('exit', () => {
  for (const run of pending.values()) {
    if (run.pid !== null) {
      try {
        process.kill(run.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
});

/**
 * Runs one Nix command (run-nix-here.ts) from a worker thread, so that starting the process never
 * blocks this thread's event loop. stderr comes back line by line, stdout whole (small JSON). An
 * abort through `signal` stops Nix (SIGTERM, then SIGKILL) and rejects with the signal's reason
 * once it has exited.
 */
export async function runNix(file: string, args: string[], options: RunOptions): Promise<NixRun> {
  if (options.signal?.aborted) throw options.signal.reason;
  const id = nextId++;
  cancelIdleExit();
  const thread = spawner();
  const result = await new Promise<NixRun & { canceled: boolean }>((resolve, reject) => {
    const onAbort = () => thread.postMessage({ type: 'abort', id } satisfies ToSpawner);
    const forget = () => options.signal?.removeEventListener('abort', onAbort);
    pending.set(id, {
      resolve: (run) => {
        forget();
        resolve(run);
      },
      reject: (error) => {
        forget();
        reject(error);
      },
      onLogLine: options.onLogLine,
      pid: null,
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    thread.ref();
    // The environment as it is now (a worker's copy is taken when it starts).
    const env = pureNixEnv(process.env) as Record<string, string>;
    thread.postMessage({
      type: 'run',
      id,
      file,
      args,
      env,
      timeoutMs: options.timeoutMs,
    } satisfies ToSpawner);
  });
  const { canceled, ...run } = result;
  if (canceled) throw options.signal?.reason ?? new Error('Nix run aborted');
  return run;
}

/** `nix path-info` arguments for the JSON runtime graph of some paths' closures (Nix 2.8 on). */
export const CLOSURE_PATH_INFO_ARGS = [
  'path-info',
  '--json',
  '--recursive',
  '--closure-size',
  '--extra-experimental-features',
  'nix-command',
] as const;
