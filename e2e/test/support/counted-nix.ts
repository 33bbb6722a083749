// Nix's programs behind wrappers that log each run's start and end, for tests that bound how many
// Nix processes a server runs at once. Sampling the process tree misses runs: a demo-set build's
// nix-instantiate and nix-build live ~100 ms, and under CI load a walk of /proc takes about that
// long, so a sampler once saw none of a storm's runs. The log sees every one.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The programs the registry runs, by the names it looks them up under on PATH. */
const PROGRAMS = ['nix-build', 'nix-instantiate', 'nix', 'nix-store'] as const;

/**
 * A folder `bin` with a shell script for each of `programs`, whose body `script` writes from the
 * program's name and the path of the real one (found on this process's PATH, before the folder
 * goes in front of it). Shared by this log and the bench's timed evaluations.
 */
export async function writeNixWrappers(
  bin: string,
  script: (program: string, real: string) => string,
  programs: readonly string[] = PROGRAMS,
): Promise<void> {
  await mkdir(bin, { recursive: true });
  for (const program of programs) {
    const real = execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim();
    const file = join(bin, program);
    await writeFile(file, `#!/bin/sh\n${script(program, shellQuote(real))}\n`);
    await chmod(file, 0o755);
  }
}

export interface CountedNix {
  /** PATH for the server: the wrappers' folder first, then this process's PATH. */
  path: string;
  /** What the log shows so far: runs started, and the most that were running at once. */
  counts(): Promise<{ runs: number; peak: number }>;
}

/**
 * Writes the wrappers into `dir`. Each appends `+` to the log before the real program starts and
 * `-` after it ended (an O_APPEND write of one short line is atomic, so the lines keep the order
 * the runs had), so the peak read from the log is never below the real one.
 */
export async function writeCountedNix(dir: string): Promise<CountedNix> {
  const bin = join(dir, 'bin');
  const log = join(dir, 'nix-runs.log');
  await mkdir(dir, { recursive: true });
  await writeFile(log, '');
  await writeNixWrappers(
    bin,
    (_, real) =>
      `echo + >> ${shellQuote(log)}\n${real} "$@"\nstatus=$?\necho - >> ${shellQuote(log)}\nexit $status`,
  );
  return {
    path: `${bin}:${process.env.PATH ?? ''}`,
    async counts() {
      let running = 0;
      let runs = 0;
      let peak = 0;
      for (const line of (await readFile(log, 'utf8')).split('\n')) {
        if (line === '+') {
          runs++;
          peak = Math.max(peak, ++running);
        } else if (line === '-') running--;
      }
      return { runs, peak };
    },
  };
}

/** `text` as one single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
