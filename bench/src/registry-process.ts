import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BuildTimings } from '@nixery/builder';
// The e2e tests' walk of /proc (as storm.ts shares their count of Nix processes).
import { childrenRunning } from '../../e2e/test/support/serve-process.js';
import { processMemory, settleDisk, stopChild } from './processes.js';
import { NIX_ENV } from './synthetic-set.js';

/** The built CLI, as `scripts/start.sh` runs it (turbo builds it before the benchmarks). */
const CLI_SCRIPT = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));
const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface RegistryProcessOptions {
  storagePath: string;
  /** A package set folder (NIXERY_PKGS_PATH); the embedded default, the bundled set, when left out. */
  pkgsPath?: string;
  nixTimeoutSeconds?: number;
  /** More variables for the server (another storage backend, …); they win over the defaults. */
  env?: Record<string, string>;
}

/** The registry running as a child process: `nixery serve` from the compiled CLI, as the quick start runs it. */
export class RegistryProcess {
  private readonly builds: { image: string; timings: BuildTimings }[] = [];
  private readonly waiters: ((build: { image: string; timings: BuildTimings }) => void)[] = [];
  private readonly logTail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(options: RegistryProcessOptions): Promise<RegistryProcess> {
    if (!existsSync(CLI_SCRIPT)) throw new Error(`${CLI_SCRIPT} is missing: run pnpm build first`);
    // The same Node flags as scripts/start.sh.
    const nodeFlags = ['--max-semi-space-size=4'];
    const child = spawn(process.execPath, [...nodeFlags, CLI_SCRIPT, 'serve', '--host', '127.0.0.1'], {
      cwd: BENCH_DIR,
      env: {
        ...NIX_ENV,
        // As scripts/start.sh sets it (glibc keeps freed layer buffers in arenas otherwise).
        MALLOC_MMAP_THRESHOLD_: '131072',
        PORT: '0',
        STORAGE_PATH: options.storagePath,
        ...(options.pkgsPath === undefined ? {} : { NIXERY_PKGS_PATH: options.pkgsPath }),
        NIX_TIMEOUT: String(options.nixTimeoutSeconds ?? 900),
        NIXERY_NIX_SUBSTITUTERS: '',
        // A package path is an unpinned source: keep a built image for the whole run instead of
        // asking Nix again every minute, so the warm figures measure serving, not re-evaluation.
        NIXERY_UNPINNED_TTL: '3600',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let instance: RegistryProcess | null = null;
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString('utf8'));
      if (stderr.length > 50) stderr.shift();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`registry did not start: ${stderr.join('')}`)),
        180_000,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`registry exited with ${code} before listening: ${stderr.join('')}`));
      });
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        // Every request is logged too; parse only the two messages this class reads.
        if (!line.includes('"registry listening"') && !line.includes('"build finished"')) return;
        let entry: { msg?: string; url?: string; image?: string; timings?: BuildTimings };
        try {
          entry = JSON.parse(line);
        } catch {
          return;
        }
        if (entry.msg === 'registry listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
        instance?.observe(entry, line);
      });
    });
    instance = new RegistryProcess(child, url);
    return instance;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the next build-end timings the server logs. */
  nextBuild(): Promise<{ image: string; timings: BuildTimings }> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  get completedBuilds(): readonly { image: string; timings: BuildTimings }[] {
    return this.builds;
  }

  memory(): Promise<{ rss: number; peakRss: number }> {
    return processMemory(this.pid);
  }

  /** The peak RSS of the server's Nix spawner process (@nixery/nix), or null when none runs. */
  async spawnerPeakRss(): Promise<number | null> {
    const [spawner] = await childrenRunning(this.pid, 'spawn-process');
    return spawner === undefined ? null : (await processMemory(spawner)).peakRss;
  }

  recentLog(): string {
    return this.logTail.join('\n');
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }

  private observe(entry: { msg?: string; image?: string; timings?: BuildTimings }, line: string): void {
    this.logTail.push(line);
    if (this.logTail.length > 20) this.logTail.shift();
    if (entry.msg === 'build finished' && entry.image && entry.timings) {
      const build = { image: entry.image, timings: entry.timings };
      this.builds.push(build);
      for (const waiter of this.waiters.splice(0)) waiter(build);
    }
  }
}

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** GETs a manifest by tag; returns the parsed manifest, its digest and the wall time. */
/**
 * One build of `image` by `registry`, timed from a settled disk with `warmPaths` in the page
 * cache (settleDisk): the manifest answer and the build's timings from the registry's log.
 */
export async function buildThrough(registry: RegistryProcess, image: string, warmPaths: readonly string[]) {
  await settleDisk(warmPaths);
  const buildDone = registry.nextBuild();
  const response = await fetchManifest(registry.url, image);
  const { timings } = await buildDone;
  return { response, timings };
}

export async function fetchManifest(
  baseUrl: string,
  name: string,
  reference = 'latest',
): Promise<{ ms: number; digest: string; manifest: { config: Blob; layers: Blob[] } }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/v2/${name}/manifests/${reference}`, {
    headers: { accept: DOCKER_MANIFEST },
  });
  const body = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`manifest of ${name}: HTTP ${response.status}: ${body.slice(0, 500)}`);
  return { ms, digest: response.headers.get('docker-content-digest') ?? '', manifest: JSON.parse(body) };
}

interface Blob {
  digest: string;
  size: number;
}
