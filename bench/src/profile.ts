import type { SetParams } from './synthetic-set.js';

/** How big each benchmark is: the full run (`pnpm bench`) or the CI-sized smoke run. */
export interface BenchProfile {
  mode: 'full' | 'smoke';
  set: SetParams;
  /** Closure size of the cold-build image. */
  coldImageBytes: number;
  pullRounds: number;
  rateSeconds: number;
  largeBlobBytes: number;
  /** Downloads of the large blob per connection (4 connections). */
  blobRepeats: number;
  pullClients: number;
  /** Install missing peers (docker-registry, nginx) with apt-get. */
  installPeers: boolean;
}

export const FULL_PROFILE: BenchProfile = {
  mode: 'full',
  set: { seed: '1', totalMiB: 1024, packages: 300, bigPathMiB: 500, scalePaths: [100, 1000, 5000] },
  coldImageBytes: 300_000_000,
  pullRounds: 5,
  rateSeconds: 8,
  largeBlobBytes: 100_000_000,
  blobRepeats: 4,
  pullClients: 50,
  installPeers: true,
};

export const SMOKE_PROFILE: BenchProfile = {
  mode: 'smoke',
  set: { seed: 'smoke', totalMiB: 4, packages: 20, bigPathMiB: 2, scalePaths: [20, 120] },
  coldImageBytes: 3_000_000,
  pullRounds: 1,
  rateSeconds: 1,
  largeBlobBytes: 2_000_000,
  blobRepeats: 1,
  pullClients: 5,
  installPeers: false,
};

export function profileFor(argv: readonly string[], env: NodeJS.ProcessEnv): BenchProfile {
  const smoke = argv.includes('--smoke') || (env.BENCH_SMOKE !== undefined && env.BENCH_SMOKE !== '0');
  return smoke ? SMOKE_PROFILE : FULL_PROFILE;
}
