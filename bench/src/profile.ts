import { FULL_REAL_ROOTS, SMOKE_REAL_ROOTS } from './real-set.js';
import type { SetParams } from './synthetic-set.js';

/** The sections of a run, in the order they run; `--only` picks some of them. */
export const SECTIONS = [
  'cold',
  'warm',
  's3',
  'scaling',
  'real',
  'memory',
  'evaluation',
  'grouping',
  'reuse',
  'storm',
] as const;
export type SectionName = (typeof SECTIONS)[number];

/** How big each benchmark is: the full run (`pnpm bench`) or the CI-sized smoke run. */
export interface BenchProfile {
  mode: 'full' | 'smoke';
  set: SetParams;
  /** Closure size of the cold-build image. */
  coldImageBytes: number;
  pullRounds: number;
  rateSeconds: number;
  largeBlobBytes: number;
  /** Rounds of the S3 warm pulls (three servers each round). */
  s3PullRounds: number;
  /** Timed builds of each scale image, and runs of its baseline: the figures are medians. */
  scaleRounds: number;
  /**
   * Cold builds of the 312 MB and real-files images, each by a fresh registry process, alternating
   * with runs of their pigz baseline: the figures against pigz are medians.
   */
  coldRounds: number;
  /** Downloads of the large blob per connection (4 connections). */
  blobRepeats: number;
  /** Passes over the servers, in alternating order, of the blob download: the rate is the median. */
  blobPasses: number;
  pullClients: number;
  /** Install missing peers (docker-registry, nginx) with apt-get. */
  installPeers: boolean;
  /** Host folders of the real-files image (see real-set.ts). */
  realRoots: readonly string[];
  /** The sections to run (all unless `--only=` / `BENCH_ONLY` names some). */
  sections: readonly SectionName[];
}

export const FULL_PROFILE: BenchProfile = {
  mode: 'full',
  set: { seed: '1', totalMiB: 1024, packages: 300, bigPathMiB: 500, scalePaths: [100, 1000, 5000] },
  coldImageBytes: 300_000_000,
  pullRounds: 9,
  s3PullRounds: 3,
  scaleRounds: 5,
  coldRounds: 3,
  rateSeconds: 8,
  largeBlobBytes: 100_000_000,
  blobRepeats: 8,
  blobPasses: 5,
  pullClients: 50,
  installPeers: true,
  realRoots: FULL_REAL_ROOTS,
  sections: SECTIONS,
};

export const SMOKE_PROFILE: BenchProfile = {
  mode: 'smoke',
  set: { seed: 'smoke', totalMiB: 4, packages: 20, bigPathMiB: 2, scalePaths: [20, 120] },
  coldImageBytes: 3_000_000,
  pullRounds: 1,
  s3PullRounds: 1,
  scaleRounds: 1,
  coldRounds: 1,
  rateSeconds: 1,
  largeBlobBytes: 2_000_000,
  blobRepeats: 1,
  blobPasses: 1,
  pullClients: 5,
  installPeers: false,
  realRoots: SMOKE_REAL_ROOTS,
  sections: SECTIONS,
};

export function profileFor(argv: readonly string[], env: NodeJS.ProcessEnv): BenchProfile {
  const smoke = argv.includes('--smoke') || (env.BENCH_SMOKE !== undefined && env.BENCH_SMOKE !== '0');
  const profile = smoke ? SMOKE_PROFILE : FULL_PROFILE;
  const only = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length) ?? env.BENCH_ONLY;
  return only ? { ...profile, sections: parseSections(only) } : profile;
}

/**
 * `cold,scaling` → those sections. The warm-pull, S3 and memory sections pull the cold-build
 * image, so asking for them runs the cold build too.
 */
export function parseSections(list: string): SectionName[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name))
      throw new Error(`unknown benchmark section "${name}" (sections: ${SECTIONS.join(', ')})`);
  }
  const wanted = new Set(names as SectionName[]);
  if (wanted.has('warm') || wanted.has('s3') || wanted.has('memory')) wanted.add('cold');
  return SECTIONS.filter((name) => wanted.has(name));
}
