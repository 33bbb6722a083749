import { Agent, get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { settleDisk } from './processes.js';
import { fetchManifest, RegistryProcess } from './registry-process.js';
import { type Figure, withTarget } from './results.js';
import { MB, round } from './stats.js';

export interface MemoryCase {
  /** RSS once the server has started, before the work. */
  idleRssBytes: number;
  /** The higher of VmHWM after the work and the sampled maximum: the peak we report. */
  peakRssBytes: number;
  /**
   * VmHWM after the work. The kernel raises it only at certain points and its RSS counters are
   * approximate (per-CPU batches), so a sampled VmRSS has been seen a few pages above it.
   */
  kernelHighWaterBytes: number;
  /** Highest RSS seen by sampling every 50 ms during the work. */
  sampledMaxRssBytes: number;
  ms: number;
}

export interface MemoryResult {
  build: MemoryCase & { image: string; largestPathBytes: number };
  concurrentPulls: MemoryCase & { image: string; clients: number; bytesPulled: number };
}

/** Samples the child's RSS while `work` runs; returns the work's result and the highest sample. */
export async function sampled<T>(
  registry: RegistryProcess,
  work: () => Promise<T>,
): Promise<{ value: T; max: number; ms: number }> {
  let max = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      max = Math.max(max, (await registry.memory()).rss);
      await sleep(50);
    }
  })();
  const started = performance.now();
  try {
    const value = await work();
    return { value, max, ms: performance.now() - started };
  } finally {
    running = false;
    await sampler;
  }
}

/** Neither VmHWM nor sampling alone is a sure peak (see MemoryCase), so the report takes the higher. */
export function peaks(
  kernelHighWaterBytes: number,
  sampledMaxRssBytes: number,
): Pick<MemoryCase, 'peakRssBytes' | 'kernelHighWaterBytes' | 'sampledMaxRssBytes'> {
  return {
    peakRssBytes: Math.max(kernelHighWaterBytes, sampledMaxRssBytes),
    kernelHighWaterBytes,
    sampledMaxRssBytes,
  };
}

/** GETs a URL and throws its body away, counting bytes (backpressure is the socket's). */
function drain(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.once('end', () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${url}: HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** One client's pull: the manifest by tag, then the config and every layer, one after another. */
async function pull(baseUrl: string, image: string, agent: Agent): Promise<number> {
  const { manifest } = await fetchManifest(baseUrl, image);
  let bytes = 0;
  for (const blob of [manifest.config, ...manifest.layers]) {
    bytes += await drain(`${baseUrl}/v2/${image}/blobs/${blob.digest}`, agent);
  }
  return bytes;
}

/**
 * Peak RSS of the registry process in two cases, each in a fresh process on the run's storage:
 * building an image that holds one very large store path, and many clients pulling a cached image.
 */
export async function runMemory(options: {
  pkgsPath: string;
  storagePath: string;
  bigImage: string;
  largestPathBytes: number;
  pullImage: string;
  clients: number;
  log: (line: string) => void;
}): Promise<{ result: MemoryResult; figures: Figure[] }> {
  const builder = await RegistryProcess.start({
    storagePath: options.storagePath,
    pkgsPath: options.pkgsPath,
  });
  let build: MemoryResult['build'];
  try {
    await sleep(500);
    const idle = (await builder.memory()).rss;
    await settleDisk();
    const run = await sampled(builder, () => fetchManifest(builder.url, options.bigImage));
    build = {
      image: options.bigImage,
      largestPathBytes: options.largestPathBytes,
      idleRssBytes: idle,
      ...peaks((await builder.memory()).peakRss, run.max),
      ms: Math.round(run.ms),
    };
  } finally {
    await builder.stop();
  }
  options.log(`memory: build of ${options.bigImage}: peak ${round(build.peakRssBytes / MB)} MB`);

  const server = await RegistryProcess.start({
    storagePath: options.storagePath,
    pkgsPath: options.pkgsPath,
  });
  let pulls: MemoryResult['concurrentPulls'];
  // A connection per request: no client-side reuse of a socket the server is closing.
  const agent = new Agent({ keepAlive: false, maxSockets: options.clients });
  try {
    // The first request asks Nix for the closure (a path source is unpinned); the layers are cached.
    await fetchManifest(server.url, options.pullImage);
    const idle = (await server.memory()).rss;
    const run = await sampled(server, async () => {
      const counts = await Promise.all(
        Array.from({ length: options.clients }, () => pull(server.url, options.pullImage, agent)),
      );
      return counts.reduce((a, b) => a + b, 0);
    });
    pulls = {
      image: options.pullImage,
      clients: options.clients,
      bytesPulled: run.value,
      idleRssBytes: idle,
      ...peaks((await server.memory()).peakRss, run.max),
      ms: Math.round(run.ms),
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
  options.log(`memory: ${options.clients} concurrent pulls: peak ${round(pulls.peakRssBytes / MB)} MB`);

  const result: MemoryResult = { build, concurrentPulls: pulls };
  const section = 'server memory (peak RSS, VmHWM)';
  const figures: Figure[] = [
    withTarget(
      {
        section,
        name: `building an image with a ${round(build.largestPathBytes / MB)} MB store path (idle ${round(build.idleRssBytes / MB)} MB)`,
        value: round(build.peakRssBytes / MB),
        unit: 'MB',
      },
      '< 200',
      'value',
    ),
    withTarget(
      {
        section,
        name: `${pulls.clients} clients pulling a cached ${round(pulls.bytesPulled / pulls.clients / MB)} MB image (idle ${round(pulls.idleRssBytes / MB)} MB)`,
        value: round(pulls.peakRssBytes / MB),
        unit: 'MB',
      },
      '< 200',
      'value',
    ),
  ];
  return { result, figures };
}
