import { execa } from 'execa';

export const LOG_TAIL_LINES = 50;

export interface NixRun {
  /** null when the program could not be started. */
  exitCode: number | null;
  stdout: string;
  /** The last LOG_TAIL_LINES lines of stderr. */
  tail: string[];
  timedOut: boolean;
  notFound: boolean;
  /** Why the program could not be started, when it could not. */
  startError: string | null;
}

/** Grace period between SIGTERM (Nix then stops its builders itself) and SIGKILL. */
const FORCE_KILL_AFTER_MS = 3000;

/**
 * Runs one Nix command in this thread: stderr is streamed line by line (never kept in full),
 * stdout is collected (small JSON). On timeout or abort Nix receives SIGTERM, which makes it kill
 * its builders before exiting, then SIGKILL if it is still alive; the promise settles only after
 * the process has exited. `canceled` says the run was stopped by `signal`.
 */
export async function runNixHere(
  file: string,
  args: string[],
  options: {
    /** Already without the variables pureNixEnv removes. */
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    onLogLine: (line: string) => void;
    onStart: (pid: number) => void;
    signal: AbortSignal;
  },
): Promise<NixRun & { canceled: boolean }> {
  const tail: string[] = [];
  // An execa line transform that yields nothing: lines are handled here and stderr is not buffered.
  // biome-ignore lint/correctness/useYield: swallowing the lines is the point
  const onLine = function* (line: unknown) {
    const text = String(line);
    tail.push(text);
    if (tail.length > LOG_TAIL_LINES) tail.shift();
    options.onLogLine(text);
  };
  const subprocess = execa(file, args, {
    reject: false,
    env: options.env,
    extendEnv: false,
    stdin: 'ignore',
    stderr: [onLine],
    timeout: Math.max(1, Math.floor(options.timeoutMs)),
    killSignal: 'SIGTERM',
    forceKillAfterDelay: FORCE_KILL_AFTER_MS,
    // The main thread kills what is left when the process exits (see run-nix.ts).
    cleanup: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
    cancelSignal: options.signal,
  });
  if (subprocess.pid !== undefined) options.onStart(subprocess.pid);
  const result = await subprocess;
  const code = (result as { code?: unknown }).code;
  const notFound = code === 'ENOENT';
  const started = result.exitCode !== undefined || result.signal !== undefined || result.timedOut;
  return {
    canceled: result.isCanceled,
    exitCode: result.exitCode ?? null,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    tail,
    timedOut: result.timedOut,
    notFound,
    startError: notFound ? `${file} was not found` : started ? null : (result.shortMessage ?? String(code)),
  };
}

/**
 * The environment for Nix without the variables through which nixpkgs reads the operator's own
 * settings (NIXPKGS_ALLOW_UNFREE, …_BROKEN, …_INSECURE, NIXPKGS_CONFIG): the images depend only
 * on what is configured here (nix/lib/load-pkgs.nix passes `config` and `overlays` itself).
 */
export function pureNixEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.startsWith('NIXPKGS_ALLOW_') && name !== 'NIXPKGS_CONFIG'),
  );
}
