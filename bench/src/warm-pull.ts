import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FilesystemStorage } from '@nixery/storage';
import autocannon from 'autocannon';
import { headLoad } from './head-load.js';
import { type Peer, pushBlob, startPlainNodeManifest } from './peers.js';
import { run } from './processes.js';
import { DOCKER_MANIFEST, fetchManifest } from './registry-process.js';
import { type Figure, withTarget } from './results.js';
import { MB, median, ratio, round } from './stats.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const PLAIN_NODE = 'node:http';

export interface PullTarget {
  name: string;
  /** Registry base URL, e.g. http://127.0.0.1:1234 */
  url: string;
  /** Repository name there */
  repository: string;
}

/** Copies an image from our registry into another registry (with skopeo), for a like-for-like pull. */
export async function mirrorImage(from: PullTarget, to: PullTarget): Promise<void> {
  await run('skopeo', [
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    // The same manifest bytes and digests on both sides, so both serve the identical image.
    '--preserve-digests',
    `docker://${hostOf(from.url)}/${from.repository}:latest`,
    `docker://${hostOf(to.url)}/${to.repository}:latest`,
  ]);
}

function hostOf(url: string): string {
  return new URL(url).host;
}

/**
 * `rounds` measurements of every name, the order flipping each round (so none always goes
 * first on a shared machine): the values by name, in round order.
 */
async function alternatingRounds(
  names: readonly string[],
  rounds: number,
  measure: (name: string, round: number) => Promise<number>,
): Promise<Record<string, number[]>> {
  const values: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      values[name]!.push(await measure(name, round));
    }
  }
  return values;
}

/**
 * Whole-image pulls with skopeo into a fresh OCI layout, alternating between the targets
 * (alternatingRounds), median per target.
 */
export async function skopeoPulls(
  targets: PullTarget[],
  rounds: number,
  workDir: string,
): Promise<Record<string, { medianMs: number; runsMs: number[] }>> {
  const byName = new Map(targets.map((target) => [target.name, target]));
  const runs = await alternatingRounds([...byName.keys()], rounds, async (name, round) => {
    const target = byName.get(name)!;
    const dir = join(workDir, `pull-${target.name}-${round}`);
    await rm(dir, { recursive: true, force: true });
    const { ms } = await run('skopeo', [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      `docker://${hostOf(target.url)}/${target.repository}:latest`,
      `oci:${dir}:latest`,
    ]);
    await rm(dir, { recursive: true, force: true });
    return Math.round(ms);
  });
  return Object.fromEntries(
    Object.entries(runs).map(([name, values]) => [name, { medianMs: median(values), runsMs: values }]),
  );
}

/**
 * Requests per second of manifest requests by tag, 16 connections: HEAD (what clients send
 * first) with our own closed-loop client, GET with autocannon.
 */
export async function manifestRate(
  target: PullTarget,
  seconds: number,
  method: 'HEAD' | 'GET',
): Promise<{ requestsPerSecond: number; p99Ms: number; errors: number }> {
  const url = `${target.url}/v2/${target.repository}/manifests/latest`;
  // Both manifest formats, as real clients accept them (a registry answers 404 for a stored
  // format the client did not list).
  const headers = { accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` };
  let rate: { requestsPerSecond: number; p99Ms: number; errors: number };
  if (method === 'HEAD') rate = await headLoad(url, headers, 16, seconds);
  else {
    const result = await autocannon({ url, method, headers, connections: 16, duration: seconds });
    // Only 2xx answers count; requests.average would also be 0 for runs of about a second.
    rate = {
      requestsPerSecond: round(result['2xx'] / Math.max(result.duration, 0.001)),
      p99Ms: result.latency.p99,
      errors: result.errors + result.non2xx + result.timeouts,
    };
  }
  if (rate.errors > 0 || rate.requestsPerSecond === 0)
    throw new Error(`manifest ${method} load on ${target.name} (${url}) had ${rate.errors} failed requests`);
  return rate;
}

/**
 * Download rate of one large blob: `connections` curl processes fetch it `perConnection` times
 * each over a kept-alive connection; MB/s is all bytes over the wall time. Every transfer must
 * be a 200 with the whole blob, or the measurement throws.
 */
export async function blobThroughput(
  url: string,
  size: number,
  connections: number,
  perConnection: number,
): Promise<{ mbPerSecond: number; transfers: number }> {
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: connections }, () =>
      run('curl', [
        '--silent',
        '--show-error',
        '--write-out',
        '%{http_code} %{size_download}\\n',
        ...Array.from({ length: perConnection }, () => ['--output', '/dev/null', url]).flat(),
      ]),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  let bytes = 0;
  let transfers = 0;
  for (const { stdout } of outcomes) {
    for (const line of stdout.trim().split('\n')) {
      const [status, downloaded] = line.split(' ');
      if (status !== '200' || Number(downloaded) !== size)
        throw new Error(`blob transfer from ${url}: ${line} (expected 200 and ${size} bytes)`);
      bytes += size;
      transfers++;
    }
  }
  return { mbPerSecond: round(bytes / MB / seconds), transfers };
}

/** Writes `bytes` of deterministic incompressible data into our storage as a blob. */
export async function storeLargeBlob(
  storagePath: string,
  workDir: string,
  bytes: number,
): Promise<{ digest: string; size: number; file: string }> {
  await mkdir(workDir, { recursive: true });
  const file = join(workDir, 'large-blob.bin');
  await run('bash', [
    '-o',
    'pipefail',
    '-c',
    `head -c ${bytes} /dev/zero | openssl enc -aes-128-ctr -K 0f0e0d0c0b0a09080706050403020100 -iv 00000000000000000000000000000000 -nosalt >"${file}"`,
  ]);
  const storage = new FilesystemStorage(storagePath);
  const { digest, size } = await storage.putBlob(createReadStream(file));
  return { digest, size, file };
}

export interface WarmPullResult {
  image: string;
  imageBytes: number;
  rounds: number;
  skopeo: Record<string, { medianMs: number; runsMs: number[] }>;
  manifestHead: Record<string, { requestsPerSecond: number; p99Ms: number; errors: number }>;
  manifestGet: Record<string, { requestsPerSecond: number; p99Ms: number; errors: number }>;
  blob: {
    size: number;
    connections: number;
    /** Medians over the passes. */
    mbPerSecond: Record<string, number>;
    passesMbPerSecond: Record<string, number[]>;
  };
}

/** The warm-pull benchmark over our registry and whichever peers are running. */
export async function runWarmPull(options: {
  ours: PullTarget;
  storagePath: string;
  dockerRegistry: Peer | null;
  nginx: Peer | null;
  rounds: number;
  rateSeconds: number;
  blobBytes: number;
  blobRepeats: number;
  blobPasses: number;
  workDir: string;
  log: (line: string) => void;
}): Promise<{ result: WarmPullResult; figures: Figure[] }> {
  const { ours, log } = options;
  const { manifest } = await fetchManifest(ours.url, ours.repository);
  const imageBytes = manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);

  const targets: PullTarget[] = [ours];
  if (options.dockerRegistry) {
    const peer: PullTarget = {
      name: 'docker-registry',
      url: options.dockerRegistry.url,
      repository: 'bench/image',
    };
    await mirrorImage(ours, peer);
    targets.push(peer);
  }
  log(`warm pull: ${round(imageBytes / MB)} MB image, ${options.rounds} rounds of skopeo copy`);
  const skopeo = await skopeoPulls(targets, options.rounds, options.workDir);

  // The same manifest bytes from plain node:http: the floor any Node server is measured against.
  const served = await fetch(`${ours.url}/v2/${ours.repository}/manifests/latest`, {
    headers: { accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` },
  });
  const plain = await startPlainNodeManifest(join(options.workDir, 'plain-node'), {
    bytes: Buffer.from(await served.arrayBuffer()),
    mediaType: served.headers.get('content-type') ?? DOCKER_MANIFEST,
    digest: served.headers.get('docker-content-digest') ?? '',
  });
  const rateTargets: PullTarget[] = [
    ...targets,
    { name: plain.name, url: plain.url, repository: ours.repository },
  ];
  const manifestHead: WarmPullResult['manifestHead'] = {};
  const manifestGet: WarmPullResult['manifestGet'] = {};
  // Two passes in opposite orders, each server's better pass kept: the machine is shared, and
  // load that comes and goes would otherwise favour whoever ran in the quiet moment.
  try {
    for (let pass = 0; pass < 2; pass++) {
      for (const target of pass === 0 ? rateTargets : [...rateTargets].reverse()) {
        for (const [method, rates] of [
          ['HEAD', manifestHead],
          ['GET', manifestGet],
        ] as const) {
          const rate = await manifestRate(target, options.rateSeconds, method);
          if ((rates[target.name]?.requestsPerSecond ?? -1) < rate.requestsPerSecond)
            rates[target.name] = rate;
        }
      }
    }
  } finally {
    await plain.stop();
  }
  log(`  manifest HEAD rates: ${JSON.stringify(manifestHead)}`);
  log(`  manifest GET rates: ${JSON.stringify(manifestGet)}`);

  const blob = await storeLargeBlob(options.storagePath, options.workDir, options.blobBytes);
  const blobUrls: Record<string, string> = {
    [ours.name]: `${ours.url}/v2/${ours.repository}/blobs/${blob.digest}`,
  };
  if (options.dockerRegistry) {
    await pushBlob(options.dockerRegistry.url, 'bench/blob', blob.file, blob.digest);
    blobUrls['docker-registry'] = `${options.dockerRegistry.url}/v2/bench/blob/blobs/${blob.digest}`;
  }
  if (options.nginx) blobUrls.nginx = `${options.nginx.url}/blobs/sha256/${blob.digest.slice(7)}`;
  const connections = 4;
  // Each server's median over alternating passes: single passes of about a second differ by ±20 %.
  const passes = await alternatingRounds(
    Object.keys(blobUrls),
    options.blobPasses,
    async (name) =>
      (await blobThroughput(blobUrls[name]!, blob.size, connections, options.blobRepeats)).mbPerSecond,
  );
  const mbPerSecond = Object.fromEntries(
    Object.entries(passes).map(([name, rates]) => [name, median(rates)]),
  );
  log(`  blob MB/s by pass: ${JSON.stringify(passes)}`);
  log(`  blob MB/s: ${JSON.stringify(mbPerSecond)}`);
  await rm(blob.file, { force: true });

  const result: WarmPullResult = {
    image: ours.repository,
    imageBytes,
    rounds: options.rounds,
    skopeo,
    manifestHead,
    manifestGet,
    blob: { size: blob.size, connections, mbPerSecond, passesMbPerSecond: passes },
  };
  return { result, figures: warmPullFigures(result, ours.name) };
}

function warmPullFigures(r: WarmPullResult, ours: string): Figure[] {
  const section = `warm pull (${round(r.imageBytes / MB)} MB image)`;
  const peer = 'docker-registry';
  const figures: Figure[] = [];
  const compare = (
    name: string,
    value: number,
    unit: string,
    baselineName: string,
    baseline: number | undefined,
    target: string | null,
  ): Figure => {
    const figure: Figure = { section, name, value, unit };
    if (baseline === undefined) return figure;
    const compared = {
      ...figure,
      baseline: { name: baselineName, value: baseline },
      ratio: ratio(value, baseline),
    };
    return target ? withTarget(compared, target, 'ratio') : compared;
  };
  figures.push(
    compare(
      `skopeo copy to OCI layout, median of ${r.rounds}`,
      r.skopeo[ours]!.medianMs,
      'ms',
      peer,
      r.skopeo[peer]?.medianMs,
      '≤ 1',
    ),
  );
  const rates = [
    ['manifest HEAD by tag, 16 connections (closed-loop Node client)', r.manifestHead],
    ['manifest GET by tag, 16 connections (autocannon)', r.manifestGet],
  ] as const;
  for (const [name, rate] of rates) {
    const value = rate[ours]!.requestsPerSecond;
    figures.push(compare(name, value, 'req/s', peer, rate[peer]?.requestsPerSecond, '≥ 5'));
    // Not a target: how close the registry comes to the cheapest possible Node answer.
    const floor = rate[PLAIN_NODE]?.requestsPerSecond;
    if (floor !== undefined)
      figures.push(
        compare(`${name}, vs plain node:http from memory`, value, 'req/s', PLAIN_NODE, floor, null),
      );
  }
  const blobSection = `blob download (${round(r.blob.size / MB)} MB, ${r.blob.connections} connections)`;
  const oursRate = r.blob.mbPerSecond[ours]!;
  const blobFigure = (baselineName: string, target: string | null): Figure => {
    const baseline = r.blob.mbPerSecond[baselineName];
    const figure: Figure = {
      section: blobSection,
      name: `MB/s vs ${baselineName}, median of ${r.blob.passesMbPerSecond[ours]!.length} passes`,
      value: oursRate,
      unit: 'MB/s',
    };
    if (baseline === undefined) return { ...figure, name: 'MB/s' };
    const compared = {
      ...figure,
      baseline: { name: baselineName, value: baseline },
      ratio: ratio(oursRate, baseline),
    };
    return target ? withTarget(compared, target, 'ratio') : compared;
  };
  if (r.blob.mbPerSecond.nginx !== undefined) figures.push(blobFigure('nginx', '≥ 1'));
  if (r.blob.mbPerSecond[peer] !== undefined) figures.push(blobFigure(peer, null));
  if (figures.filter((f) => f.section === blobSection).length === 0) figures.push(blobFigure('none', null));
  return figures;
}
