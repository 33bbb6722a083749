// The real `nixery serve` in a process of its own (from the TypeScript sources), for tests that
// signal it or count the Nix processes it starts.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../../apps/cli/src/main.ts', import.meta.url));

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Everything it printed so far (its JSON log lines included). */
  output(): string;
}

/** Starts `nixery serve --host 127.0.0.1 --port 0 …args` and waits until it listens. */
export async function startServe(args: string[], env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.NIXERY_TEST_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--conditions=source',
      '--import',
      'tsx',
      CLI,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      ...args,
    ],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nixery serve did not start:\n${output}`)), 60_000);
    const poll = setInterval(() => {
      const m = /nixery listening on (http:\/\/\S+) /.exec(output);
      if (!m) return;
      clearTimeout(timer);
      clearInterval(poll);
      resolve(m[1]!);
    }, 20);
    void exited.then(() => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`nixery serve exited before listening:\n${output}`));
    });
  });
  return { url, child, exited, output: () => output };
}

/** The Nix programs the registry runs, by the file name of their command. */
const NIX_PROGRAMS = new Set(['nix-build', 'nix-instantiate', 'nix']);

/** Every process now: its parent and its command line (argv), read from /proc. */
async function processTable(): Promise<Map<number, { parent: number; argv: string[] }>> {
  const table = new Map<number, { parent: number; argv: string[] }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      table.set(Number(entry), { parent, argv });
    } catch {
      // The process ended while we looked.
    }
  }
  return table;
}

/**
 * Pids of the Nix processes running for `server` (nix-build, nix-instantiate, nix path-info, or
 * only `programs`): its descendants, as the server starts Nix from its spawner process.
 */
export async function nixProcessesOf(
  server: number,
  programs: ReadonlySet<string> = NIX_PROGRAMS,
): Promise<number[]> {
  const table = await processTable();
  const descends = (pid: number): boolean => {
    for (let up = table.get(pid)?.parent, hops = 0; up !== undefined && hops < 64; hops++) {
      if (up === server) return true;
      up = table.get(up)?.parent;
    }
    return false;
  };
  return [...table]
    .filter(([pid, { argv }]) => argv[0] !== undefined && programs.has(basename(argv[0])) && descends(pid))
    .map(([pid]) => pid);
}

/** Pids of the children of `parent` whose command line contains `needle` (e.g. a script's name). */
export async function childrenRunning(parent: number, needle: string): Promise<number[]> {
  const table = await processTable();
  return [...table]
    .filter(([, entry]) => entry.parent === parent && entry.argv.join('\0').includes(needle))
    .map(([pid]) => pid);
}
