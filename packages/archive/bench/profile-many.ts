// Where layer time goes for many store paths: tar alone, + sha256, + gzip, over the given paths.
// Usage: node --conditions=source --import tsx packages/archive/bench/profile-many.ts <paths-file>
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createLayerGzip, DigestStream, storePathsTar } from '../src/index.js';

const paths = readFileSync(process.argv[2] as string, 'utf8')
  .trim()
  .split('\n');
async function time(label: string, stages: 'tar' | 'hash' | 'gzip') {
  const started = performance.now();
  let bytes = 0;
  const count = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) bytes += chunk.length;
  };
  const tar = storePathsTar(paths);
  if (stages === 'tar') await pipeline(tar, count);
  else if (stages === 'hash') await pipeline(tar, new DigestStream(), count);
  else await pipeline(tar, new DigestStream(), createLayerGzip(6), count);
  const ms = performance.now() - started;
  console.log(
    `${label}: ${Math.round(ms)} ms, ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`,
  );
}
await time('tar', 'tar');
await time('tar+sha256', 'hash');
await time('tar+sha256+gzip6', 'gzip');
