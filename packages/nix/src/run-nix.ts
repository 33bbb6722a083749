import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type NixRun, pureNixEnv } from './run-nix-here.js';
import type { FromSpawner, ToSpawner } from './spawn-protocol.js';

export { LOG_TAIL_LINES, type NixRun, pureNixEnv } from './run-nix-here.js';

export interface RunOptions {
  timeoutMs: number;
  onLogLine?: ((line: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

const here = import.meta.url;
/** Run from TypeScript sources (tests, `--conditions=source`), the spawner loads through tsx. */
const fromSource = here.endsWith('.ts');
const spawnerFile = fileURLToPath(new URL(fromSource ? './spawn-process.ts' : './spawn-process.js', here));

interface Pending {
  resolve: (run: NixRun & { canceled: boolean }) => void;
  reject: (error: Error) => void;
  onLogLine: ((line: string) => void) | undefined;
  pid: number | null;
}

let spawnerProcess: ChildProcess | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

/**
 * An idle spawner process ends after this long (its RSS peaks near 60 MB). Starting one forks this
 * process, which costs the copy-on-write faults it exists to avoid (see spawn-process.ts), so it
 * outlives the pauses between pulls of a busy server. Tests shorten it (setSpawnerIdleMs).
 */
export const SPAWNER_IDLE_MS = 5 * 60_000;
let spawnerIdleMs = SPAWNER_IDLE_MS;
let idleTimer: NodeJS.Timeout | null = null;

/** Whether the spawner process is running now (for tests). */
export function spawnerIsRunning(): boolean {
  return spawnerProcess !== null;
}

/** How long an idle spawner process stays (for tests: the default is minutes). */
export function setSpawnerIdleMs(ms: number): void {
  spawnerIdleMs = ms;
}

function spawner(): ChildProcess {
  if (spawnerProcess) return spawnerProcess;
  const started = fork(spawnerFile, [], {
    // Compiled, none of this process's flags; from sources, tsx and the `source` condition.
    execArgv: fromSource ? ['--conditions=source', '--import', 'tsx'] : [],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
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
    if (spawnerProcess === started) spawnerProcess = null;
    for (const [id, run] of pending) {
      finish(id);
      run.reject(new Error(`the Nix spawner process ${why}`));
    }
  };
  started.on('error', (error) => lost(`failed: ${error.message}`));
  started.on('exit', (code, signal) => lost(`exited (${signal ?? code})`));
  keepAlive(started, false);
  spawnerProcess = started;
  return started;
}

/** Whether the spawner (its process and IPC channel) keeps this process's event loop alive. */
function keepAlive(child: ChildProcess, keep: boolean): void {
  if (keep) {
    child.ref();
    child.channel?.ref();
  } else {
    child.unref();
    child.channel?.unref();
  }
}

function finish(id: number): void {
  pending.delete(id);
  if (pending.size > 0) return;
  // An idle spawner never keeps the process alive, and ends once it has been idle a while.
  if (spawnerProcess) keepAlive(spawnerProcess, false);
  cancelIdleExit();
  idleTimer = setTimeout(endIdleSpawner, spawnerIdleMs);
  idleTimer.unref();
}

function cancelIdleExit(): void {
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = null;
}

function endIdleSpawner(): void {
  idleTimer = null;
  const idle = spawnerProcess;
  if (idle === null || pending.size > 0) return;
  spawnerProcess = null; // the next run starts a new one
  // Its ending is not a loss: nothing is pending on it. It exits once disconnected.
  idle.removeAllListeners('exit');
  idle.removeAllListeners('error');
  idle.on('error', () => {});
  if (idle.connected) idle.disconnect();
}

// Nix started for this process does not outlive it (the spawner also stops its runs when this
// process goes: spawn-process.ts).
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
 * Runs one Nix command (run-nix-here.ts) from the spawner process (spawn-process.ts), so that this
 * process never forks and starting Nix never blocks its event loop. stderr comes back line by
 * line, stdout whole (small JSON). An abort through `signal` stops Nix (SIGTERM, then SIGKILL) and
 * rejects with the signal's reason once it has exited.
 */
export async function runNix(file: string, args: string[], options: RunOptions): Promise<NixRun> {
  if (options.signal?.aborted) throw options.signal.reason;
  const id = nextId++;
  cancelIdleExit();
  const child = spawner();
  const result = await new Promise<NixRun & { canceled: boolean }>((resolve, reject) => {
    const onAbort = () => {
      if (child.connected) child.send({ type: 'abort', id } satisfies ToSpawner);
    };
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
    keepAlive(child, true);
    // The environment as it is now (the spawner's own is the one it started with).
    const env = pureNixEnv(process.env) as Record<string, string>;
    child.send({
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
