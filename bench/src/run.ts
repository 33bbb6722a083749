import { mkdir, rm } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { runColdBuild } from './cold-build.js';
import { runEvaluationCost } from './evaluation.js';
import { runGroupingSection, runReuseSection } from './external.js';
import { runMemory } from './memory.js';
import { ensurePeers, type Peer, startDockerRegistry, startNginx } from './peers.js';
import { type BenchProfile, SECTIONS, type SectionName } from './profile.js';
import { runRealFiles } from './real-files.js';
import type { RegistryProcess } from './registry-process.js';
import type { BenchResults, Figure, SectionOutcome } from './results.js';
import { runS3Pull } from './s3-pull.js';
import { runScaling } from './scaling.js';
import { runStorm } from './storm.js';
import { narBytes, prepareSet } from './synthetic-set.js';
import { runWarmPull } from './warm-pull.js';

/**
 * Runs every benchmark of a profile in one go, sharing one generated package set and one
 * registry storage, and returns the results (figures with same-run baselines and ratios).
 */
export async function runBenchmarks(
  profile: BenchProfile,
  options: { workDir: string; log: (line: string) => void },
): Promise<BenchResults> {
  const started = Date.now();
  const { log, workDir } = options;
  await mkdir(workDir, { recursive: true });
  const storagePath = join(workDir, 'registry-storage');
  await rm(storagePath, { recursive: true, force: true });

  const sections: Record<string, SectionOutcome<unknown>> = {};
  const figures: Figure[] = [];
  const notes = [
    'Figures are from one run on a shared 2-core machine; other work on it makes them noisy (±15 % or more). Ratios compare against baselines measured in the same run.',
    'The generated package set is built before the timed work, so "Nix" time is evaluation and path-info, not package builds.',
    'The registry runs as its own Node process from the compiled CLI (`node apps/cli/dist/main.js serve`), as the quick start runs it.',
  ];

  const peers = await ensurePeers(profile.installPeers && profile.sections.includes('warm'), log);
  let coldImage: string | null = null;
  log(`generating and building the synthetic package set ${JSON.stringify(profile.set)}`);
  const set = await prepareSet(profile.set, workDir);
  const setBytes = narBytes(set, set.graph.keys());
  log(`  ${set.graph.size} store paths, ${Math.round(setBytes / 1e6)} MB, nix-build ${set.buildMs} ms`);
  sections.set = {
    ok: true,
    result: {
      params: set.params,
      path: set.path,
      paths: set.graph.size,
      bytes: setBytes,
      buildMs: set.buildMs,
    },
  };
  figures.push({
    section: 'synthetic package set',
    name: `nix-build of ${set.graph.size} paths, ${Math.round(setBytes / 1e6)} MB (small when already built)`,
    value: set.buildMs,
    unit: 'ms',
  });

  const wants = (name: SectionName) => profile.sections.includes(name);
  if (profile.sections.length < SECTIONS.length)
    notes.push(`Only these sections ran: ${profile.sections.join(', ')}.`);
  let registry: RegistryProcess | null = null;
  const running: Peer[] = [];
  try {
    if (wants('cold')) {
      const cold = await runColdBuild({
        set,
        targetBytes: profile.coldImageBytes,
        rounds: profile.coldRounds,
        workDir,
        storagePath,
        log,
      });
      registry = cold.registry;
      coldImage = cold.result.image;
      sections.coldBuild = { ok: true, result: cold.result };
      figures.push(...cold.figures);
    }

    if (wants('warm') && registry && coldImage) {
      const startPeer = async (name: string, start: () => Promise<Peer>): Promise<Peer | null> => {
        try {
          const peer = await start();
          running.push(peer);
          return peer;
        } catch (error) {
          notes.push(`${name} could not start: ${(error as Error).message.split('\n')[0]}`);
          return null;
        }
      };
      const dockerRegistry = peers['docker-registry']
        ? await startPeer('docker-registry', () => startDockerRegistry(join(workDir, 'docker-registry')))
        : null;
      const nginx = peers.nginx
        ? await startPeer('nginx', () => startNginx(join(workDir, 'nginx'), storagePath))
        : null;
      if (!peers['docker-registry'])
        notes.push('docker-registry is not installed: the comparisons with it were skipped.');
      if (!peers.nginx) notes.push('nginx is not installed: the blob comparison with it was skipped.');

      const warm = await runWarmPull({
        ours: { name: 'ours', url: registry.url, repository: coldImage },
        storagePath,
        dockerRegistry,
        nginx,
        rounds: profile.pullRounds,
        rateSeconds: profile.rateSeconds,
        blobBytes: profile.largeBlobBytes,
        blobRepeats: profile.blobRepeats,
        blobPasses: profile.blobPasses,
        workDir,
        log,
      });
      sections.warmPull = { ok: true, result: warm.result };
      figures.push(...warm.figures);
    }
    for (const peer of running.splice(0)) await peer.stop();

    if (wants('s3') && registry && coldImage) {
      const s3 = await runS3Pull({
        filesystem: { name: 'filesystem', url: registry.url, repository: coldImage },
        pkgsPath: set.path,
        storagePath,
        rounds: profile.s3PullRounds,
        workDir,
        log,
      });
      sections.s3Pull = { ok: true, result: s3.result };
      notes.push(
        'S3 is s3rver, a Node server on the same two cores as the registry and the client: the S3 figures show the cost of each path through the server, not a real object store.',
      );
      figures.push(...s3.figures);
    }
    await registry?.stop();
    registry = null;

    if (wants('scaling')) {
      const scaling = await runScaling({ set, workDir, rounds: profile.scaleRounds, log });
      sections.scaling = { ok: true, result: scaling.result };
      figures.push(...scaling.figures);
    }

    if (wants('real')) {
      const real = await runRealFiles({ roots: profile.realRoots, rounds: profile.coldRounds, workDir, log });
      sections.realFiles = { ok: true, result: real.result };
      figures.push(...real.figures);
    }

    if (wants('memory') && coldImage) {
      const bigdata = set.outPaths.get('bigdata')!;
      const memory = await runMemory({
        pkgsPath: set.path,
        storagePath,
        bigImage: 'bigdata',
        largestPathBytes: set.graph.get(bigdata)!.narSize,
        pullImage: coldImage,
        clients: profile.pullClients,
        log,
      });
      sections.memory = { ok: true, result: memory.result };
      figures.push(...memory.figures);
    }
  } finally {
    await registry?.stop();
    for (const peer of running) await peer.stop();
  }

  if (wants('evaluation')) {
    const evaluation = await runEvaluationCost({ workDir, smoke: profile.mode === 'smoke', log });
    sections.evaluation = { ok: true, result: evaluation.costs };
    figures.push(...evaluation.figures);
  }

  const external = { smoke: profile.mode === 'smoke', workDir, log };
  for (const [section, runSection] of [
    ['grouping', runGroupingSection],
    ['reuse', runReuseSection],
  ] as const) {
    if (!wants(section)) continue;
    const outcome = await runSection(external);
    if (!outcome.found) {
      sections[section] = { ok: false, skipped: `bench/src/${section}.ts is not there yet` };
      continue;
    }
    sections[section] = { ok: true, result: outcome.result.details ?? outcome.result };
    figures.push(...outcome.result.figures);
  }

  if (wants('storm')) {
    const storm = await runStorm({ smoke: profile.mode === 'smoke', log });
    sections.storm = { ok: true, result: storm.result };
    figures.push(...storm.figures);
  }

  await rm(storagePath, { recursive: true, force: true });
  return {
    mode: profile.mode,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      kernel: release(),
    },
    notes,
    sections,
    figures,
  };
}
