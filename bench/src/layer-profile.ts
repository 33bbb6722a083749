import { pipeline } from 'node:stream/promises';
import { createLayerGzip, storePathsTar } from '@nixery/archive';
import { DigestStream } from '@nixery/digest';
import type { Figure } from './results.js';
import { MB, round } from './stats.js';

export interface LayerProfile {
  bytes: number;
  tarMs: number;
  tarHashMs: number;
  tarHashGzipMs: number;
}

async function timeStages(
  paths: string[],
  stages: 'tar' | 'hash' | 'gzip',
): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  const count = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) bytes += chunk.length;
  };
  const tar = storePathsTar(paths);
  if (stages === 'tar') await pipeline(tar, count);
  else if (stages === 'hash') await pipeline(tar, new DigestStream(), count);
  else await pipeline(tar, new DigestStream(), createLayerGzip(6), count);
  return { ms: Math.round(performance.now() - started), bytes };
}

/**
 * Where a layer's time goes: the same store paths as one stream through @nixery/archive's tar
 * writer alone, then with the diff_id hash, then with gzip -6 (the builder's stages, without
 * storage), so the layer-writing figures can be explained stage by stage.
 */
export async function profileLayerStages(
  paths: string[],
  gzipBaselineMs: number,
): Promise<{ result: LayerProfile; figures: Figure[] }> {
  const tar = await timeStages(paths, 'tar');
  const hash = await timeStages(paths, 'hash');
  const gzip = await timeStages(paths, 'gzip');
  const result: LayerProfile = {
    bytes: tar.bytes,
    tarMs: tar.ms,
    tarHashMs: hash.ms,
    tarHashGzipMs: gzip.ms,
  };
  const section = `layer-writing profile (one stream, ${round(tar.bytes / MB)} MB of tar, no storage)`;
  const rate = (ms: number) => round(tar.bytes / MB / (ms / 1000));
  const baseline = { name: 'tar|gzip -6|sha256sum', value: gzipBaselineMs };
  const figures: Figure[] = [
    {
      section,
      name: `tar writer alone (${rate(tar.ms)} MB/s)`,
      value: tar.ms,
      unit: 'ms',
      baseline,
      ratio: round(tar.ms / gzipBaselineMs),
    },
    {
      section,
      name: `tar + sha256 (${rate(hash.ms)} MB/s)`,
      value: hash.ms,
      unit: 'ms',
      baseline,
      ratio: round(hash.ms / gzipBaselineMs),
    },
    {
      section,
      name: `tar + sha256 + zlib gzip -6 (${rate(gzip.ms)} MB/s)`,
      value: gzip.ms,
      unit: 'ms',
      baseline,
      ratio: round(gzip.ms / gzipBaselineMs),
    },
  ];
  return { result, figures };
}
