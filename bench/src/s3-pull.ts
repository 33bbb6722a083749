// Warm pulls from S3: the cold-build image served by two registry processes over one bucket of a
// real S3 server on the loopback (s3rver; it does not check signatures), one redirecting blob
// requests to presigned URLs, one streaming them through itself, beside the registry on the
// filesystem, in alternating rounds of the same run.
import { randomUUID } from 'node:crypto';
import {
  S3_TEST_REGION,
  S3RVER_CREDENTIALS,
  startS3Server,
} from '../../packages/storage/test/support/s3-server.js';
import { fetchManifest, RegistryProcess } from './registry-process.js';
import type { Figure } from './results.js';
import { MB, ratio, round } from './stats.js';
import { type PullTarget, skopeoPulls } from './warm-pull.js';

export interface S3PullResult {
  image: string;
  imageBytes: number;
  rounds: number;
  /** The blob request's status on each S3 instance: 307 (redirect) and 200 (streamed). */
  blobStatus: { presigned: number; streamed: number };
  skopeo: Record<string, { medianMs: number; runsMs: number[] }>;
}

const FILESYSTEM = 'filesystem';
const PRESIGNED = 's3-presigned';
const STREAMED = 's3-streamed';

export async function runS3Pull(options: {
  filesystem: PullTarget;
  pkgsPath: string;
  storagePath: string;
  rounds: number;
  workDir: string;
  log: (line: string) => void;
}): Promise<{ result: S3PullResult; figures: Figure[] }> {
  const { filesystem, log } = options;
  const image = filesystem.repository;
  const server = await startS3Server();
  const bucket = `bench-${randomUUID()}`;
  await server.createBucket(bucket);
  const registries: RegistryProcess[] = [];
  try {
    const start = async (presigned: boolean) => {
      const registry = await RegistryProcess.start({
        storagePath: options.storagePath,
        pkgsPath: options.pkgsPath,
        env: {
          NIXERY_STORAGE_BACKEND: 's3',
          S3_BUCKET: bucket,
          AWS_REGION: S3_TEST_REGION,
          S3_ENDPOINT: server.endpoint,
          S3_FORCE_PATH_STYLE: 'true',
          S3_USE_PRESIGNED_URLS: String(presigned),
          AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        },
      });
      registries.push(registry);
      return registry;
    };
    const presigned = await start(true);
    const streamed = await start(false);

    // The first pull writes the image into the bucket; the second instance finds every layer there.
    const reference = await fetchManifest(filesystem.url, image);
    log(`S3 warm pull: writing ${image} into the bucket`);
    for (const registry of [presigned, streamed]) {
      const { digest } = await fetchManifest(registry.url, image);
      if (digest !== reference.digest)
        throw new Error(`the S3 instance's ${image} is ${digest}, the filesystem one's ${reference.digest}`);
    }
    const layer = reference.manifest.layers[0]!;
    const blobStatus = async (registry: RegistryProcess) => {
      const response = await fetch(`${registry.url}/v2/${image}/blobs/${layer.digest}`, {
        redirect: 'manual',
      });
      await response.arrayBuffer();
      return response.status;
    };
    const status = { presigned: await blobStatus(presigned), streamed: await blobStatus(streamed) };
    if (status.presigned !== 307 || status.streamed !== 200)
      throw new Error(
        `blob answers: presigned ${status.presigned}, streamed ${status.streamed} (want 307 and 200)`,
      );

    const targets: PullTarget[] = [
      filesystem,
      { name: PRESIGNED, url: presigned.url, repository: image },
      { name: STREAMED, url: streamed.url, repository: image },
    ];
    log(`  ${options.rounds} rounds of skopeo copy: filesystem, S3 presigned, S3 streamed`);
    const skopeo = await skopeoPulls(targets, options.rounds, options.workDir);
    const imageBytes =
      reference.manifest.config.size + reference.manifest.layers.reduce((sum, l) => sum + l.size, 0);
    const result: S3PullResult = { image, imageBytes, rounds: options.rounds, blobStatus: status, skopeo };
    log(
      `  medians: ${Object.entries(skopeo)
        .map(([name, { medianMs }]) => `${name} ${medianMs} ms`)
        .join(', ')}`,
    );
    return { result, figures: s3PullFigures(result, filesystem.name) };
  } finally {
    for (const registry of registries) await registry.stop();
    await server.stop();
  }
}

function s3PullFigures(r: S3PullResult, filesystem: string): Figure[] {
  const section = `warm pull from S3 (${round(r.imageBytes / MB)} MB image, s3rver on the loopback)`;
  const base = r.skopeo[filesystem]!.medianMs;
  const figure = (name: string, key: string, baselineName: string, baseline: number): Figure => {
    const value = r.skopeo[key]!.medianMs;
    return {
      section,
      name,
      value,
      unit: 'ms',
      baseline: { name: baselineName, value: baseline },
      ratio: ratio(value, baseline),
    };
  };
  return [
    {
      section,
      name: `skopeo copy from the filesystem instance, median of ${r.rounds}`,
      value: base,
      unit: 'ms',
    },
    figure(`skopeo copy, S3 with presigned redirects, median of ${r.rounds}`, PRESIGNED, FILESYSTEM, base),
    figure(`skopeo copy, S3 streamed through the server, median of ${r.rounds}`, STREAMED, FILESYSTEM, base),
    figure('S3 streamed vs presigned redirects', STREAMED, 'presigned', r.skopeo[PRESIGNED]!.medianMs),
  ];
}
