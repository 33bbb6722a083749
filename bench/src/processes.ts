import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on the loopback interface (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers with `status` (any status when omitted) or the time runs out. */
export async function waitForHttp(url: string, timeoutMs: number, status?: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (status === undefined || response.status === status) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

/** Memory figures of a running process from /proc/<pid>/status, in bytes. */
export async function processMemory(pid: number): Promise<{ rss: number; peakRss: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rss: field('VmRSS'), peakRss: field('VmHWM') };
}

/** Ends a child we started and waits until it has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Readies the machine for a timed run: reads every file of `storePaths` (when given) into the
 * page cache, then flushes dirty pages to disk.
 *
 * The read: our VMs run DAMON with a page-out scheme (/sys/kernel/mm/damon/admin: file pages not
 * touched for 60 s are reclaimed), so a set idle since an earlier section is half on disk again
 * (the real-files set: 518 MB resident, 186 MB two minutes later, by fincore). Whichever run
 * came first then paid the disk reads, and that was always ours: the baselines ran after it.
 * Every timed build and baseline now starts from the same warm cache.
 *
 * The flush: a build fsyncs each blob, and on ext4 an fsync can wait for the journal to write
 * back other files' dirty data: without it, the gigabytes earlier sections wrote (package sets,
 * peers' copies) landed in the first build's fsyncs (the 5,000-path image's layers took 2.5 s
 * right after a full run, 0.7 s once settled).
 *
 * Run by the command shell, so the builds timed in this process come after no fork of it.
 */
export async function settleDisk(storePaths: readonly string[] = []): Promise<void> {
  if (storePaths.length > 0) {
    warmListFile ??= join(await mkdtemp(join(tmpdir(), 'nixery-bench-warm-')), 'paths.txt');
    await writePathList(storePaths, warmListFile);
    await inCommandShell(`set -o pipefail; tar -c -C / -T "${warmListFile}" -f - | cat >/dev/null`);
  }
  await inCommandShell('sync');
}

let warmListFile: string | null = null;

/** Writes `storePaths` as a `tar -C / -T` list: one path per line, relative to the root. */
export async function writePathList(storePaths: readonly string[], file: string): Promise<void> {
  await writeFile(file, storePaths.map((p) => p.replace(/^\//, '')).join('\n'));
}

/**
 * One bash, started once, that runs the commands issued between in-process builds (`sync`, the
 * tar baselines). Spawning from this process forks it, and after a fork every page it writes
 * costs a page fault once (copy-on-write; ~15 µs a page on our VMs): a build timed right after
 * one ran about 10 % slower, with 2.6× the page faults, than the server, which never forks (Nix
 * runs from @nixery/nix's spawner process). Commands run one at a time.
 */
let commandShell: { child: ChildProcess; lines: AsyncIterator<string> } | null = null;
let shellQueue: Promise<unknown> = Promise.resolve();

function startCommandShell(): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn('bash', ['--noprofile', '--norc'], { stdio: ['pipe', 'pipe', 'inherit'] });
  holdOpen(child, false);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  child.once('exit', () => {
    if (commandShell?.child === child) commandShell = null;
  });
  return { child, lines };
}

/** An idle shell must not keep the benchmark running; a busy one must (its answer is awaited). */
function holdOpen(child: ChildProcess, hold: boolean): void {
  for (const handle of [child, child.stdin, child.stdout] as unknown as { ref(): void; unref(): void }[]) {
    if (hold) handle.ref();
    else handle.unref();
  }
}

/**
 * Runs `script` (bash, stdout discarded) in the command shell and resolves with its wall time in
 * ms, measured by bash itself ($EPOCHREALTIME); rejects when it exits non-zero.
 */
export function inCommandShell(script: string): Promise<number> {
  const next = shellQueue.then(async () => {
    commandShell ??= startCommandShell();
    const { child, lines } = commandShell;
    holdOpen(child, true);
    try {
      child.stdin!.write(
        `__s=$EPOCHREALTIME; ( ${script} ) </dev/null >/dev/null; __rc=$?; echo "__done $__rc $__s $EPOCHREALTIME"\n`,
      );
      for (;;) {
        const line = await lines.next();
        if (line.done) throw new Error(`the command shell ended while running: ${script.slice(0, 200)}`);
        const [mark, code, start, end] = line.value.split(' ');
        if (mark !== '__done') continue;
        if (code !== '0') throw new Error(`${script.slice(0, 200)} failed (exit ${code})`);
        return (Number(end) - Number(start)) * 1000;
      }
    } finally {
      holdOpen(child, false);
    }
  });
  shellQueue = next.catch(() => {});
  return next;
}

/** Runs a command to completion; rejects with its stderr when it fails. */
export async function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr, ms: performance.now() - started });
      else
        reject(
          new Error(
            `${command} ${args.slice(0, 6).join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.slice(-2000)}`,
          ),
        );
    });
  });
}

/** True when `command` is found on PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}
