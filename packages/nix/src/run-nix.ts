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

export interface RunOptions {
  timeoutMs: number;
  onLogLine?: ((line: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** Grace period between SIGTERM (Nix then stops its builders itself) and SIGKILL. */
const FORCE_KILL_AFTER_MS = 3000;

/**
 * Runs one Nix command: stderr is streamed line by line (never kept in full), stdout is
 * collected (small JSON). On timeout or abort Nix receives SIGTERM, which makes it kill its
 * builders before exiting, then SIGKILL if it is still alive; the promise settles only after
 * the process has exited.
 */
export async function runNix(file: string, args: string[], options: RunOptions): Promise<NixRun> {
  const tail: string[] = [];
  // An execa line transform that yields nothing: lines are handled here and stderr is not buffered.
  // biome-ignore lint/correctness/useYield: swallowing the lines is the point
  const onLine = function* (line: unknown) {
    const text = String(line);
    tail.push(text);
    if (tail.length > LOG_TAIL_LINES) tail.shift();
    try {
      options.onLogLine?.(text);
    } catch {
      // A failing log consumer must not break the build.
    }
  };
  const result = await execa(file, args, {
    reject: false,
    env: pureNixEnv(process.env),
    extendEnv: false,
    stdin: 'ignore',
    stderr: [onLine],
    timeout: Math.max(1, Math.floor(options.timeoutMs)),
    killSignal: 'SIGTERM',
    forceKillAfterDelay: FORCE_KILL_AFTER_MS,
    cleanup: true,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  if (result.isCanceled) throw options.signal?.reason ?? new Error('Nix run aborted');
  const code = (result as { code?: unknown }).code;
  const notFound = code === 'ENOENT';
  const started = result.exitCode !== undefined || result.signal !== undefined || result.timedOut;
  return {
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

/** `nix path-info` arguments for the JSON runtime graph of some paths' closures (Nix 2.8 on). */
export const CLOSURE_PATH_INFO_ARGS = [
  'path-info',
  '--json',
  '--recursive',
  '--closure-size',
  '--extra-experimental-features',
  'nix-command',
] as const;
