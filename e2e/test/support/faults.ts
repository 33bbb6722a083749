// Helpers for fault-injection tests: a tmpfs to fill, a registry in a child process to kill,
// Nix processes to find, and an integrity check of a storage folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FilesystemStorage } from '@nixery/storage';
import { type Problem, verifyStorage } from '@nixery/verify';
import { execa } from 'execa';
import { expect } from 'vitest';

/** The registry's JSON error body, parsed (the first error). */
export async function registryError(
  response: Response,
): Promise<{ code: string; message: string; detail: unknown }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { errors: { code: string; message: string; detail: unknown }[] };
  expect(body.errors).toHaveLength(1);
  return body.errors[0]!;
}

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * Pulls name:tag like a client: the manifest, then every blob (following redirects), checking
 * each blob's digest. Returns the manifest's digest and its layer count.
 */
export async function pullAndCheck(
  baseUrl: string,
  name: string,
  tag = 'latest',
): Promise<{ digest: string; layers: number }> {
  const response = await fetch(`${baseUrl}/v2/${name}/manifests/${tag}`, {
    headers: { accept: DOCKER_MANIFEST },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const manifest = (await response.json()) as {
    config: { digest: string };
    layers: { digest: string; size: number }[];
  };
  for (const blob of [manifest.config, ...manifest.layers]) {
    const got = await fetch(`${baseUrl}/v2/${name}/blobs/${blob.digest}`);
    expect(got.status).toBe(200);
    const bytes = new Uint8Array(await got.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(blob.digest);
  }
  return { digest: response.headers.get('docker-content-digest') ?? '', layers: manifest.layers.length };
}

/**
 * Everything wrong with a storage folder, by @nixery/verify: a blob whose bytes do not hash to its
 * name, or a cache entry / manifest naming a missing blob. Staging leftovers (which verify
 * reports too) are not counted here: these tests look at them with stagingNames.
 */
export async function storageProblems(storagePath: string): Promise<Problem[]> {
  const { problems } = await verifyStorage(new FilesystemStorage(storagePath));
  return problems.filter((problem) => problem.kind !== 'staging-leftovers');
}

/** Names under `<storage>/staging/` (uploads in progress or left by a crash). */
export async function stagingNames(storagePath: string): Promise<string[]> {
  try {
    return await readdir(join(storagePath, 'staging'));
  } catch {
    return [];
  }
}

export interface Tmpfs {
  dir: string;
  resize(bytes: number): Promise<void>;
  unmount(): Promise<void>;
}

/** A tmpfs of `bytes` (needs root, as CI has): a disk that really fills up. */
export async function mountTmpfs(bytes: number): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), 'nixery-tmpfs-'));
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  return {
    dir,
    resize: async (size) => {
      await execa('mount', ['-o', `remount,size=${size}`, dir]);
    },
    unmount: async () => {
      // Lazy: a write still failing in the background must not keep the mount (or the test) alive.
      for (
        let attempt = 0;
        attempt < 10 && (await readFile('/proc/mounts', 'utf8')).includes(` ${dir} `);
        attempt++
      ) {
        await execa('umount', ['-l', dir], { reject: false });
        await new Promise((r) => setTimeout(r, 100));
      }
      if ((await readFile('/proc/mounts', 'utf8')).includes(` ${dir} `))
        throw new Error(`could not unmount ${dir}`);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Pids of processes descended from `ancestor` whose command line contains `needle`. */
export async function descendantsMatching(ancestor: number, needle: string): Promise<number[]> {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) comes after the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
      commands.set(Number(entry), (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' '));
    } catch {
      // The process ended while we looked.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p))
      if (p === ancestor) return true;
    return false;
  };
  return [...commands].filter(([pid, cmd]) => cmd.includes(needle) && descends(pid)).map(([pid]) => pid);
}

/** Polls `check` every 20 ms until it returns a value, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  ms: number,
  check: () => Promise<T | null | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SERVER_SCRIPT = fileURLToPath(new URL('./faults-server.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface RegistryProcess {
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

/** Runs the registry in its own Node process (so it can be killed with SIGKILL) on a free port. */
export async function startRegistryProcess(env: Record<string, string>): Promise<RegistryProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', SERVER_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry process did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /^READY (http:\/\/\S+)$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(() => reject(new Error(`registry process exited before starting:\n${output}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return { url, child, exited };
}
