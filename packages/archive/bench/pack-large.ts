/**
 * Packs large generated store paths and prints throughput and memory.
 *   node --conditions=source --import tsx packages/archive/bench/pack-large.ts [sizeMB=200]
 * 1. tar only, 2. tar + sha256 + gzip (writeLayer) for one layer, 3. two layers one after the
 * other vs concurrently (buildLayersConcurrently), to show whether gzip uses a second core.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestOfStream } from '@nixery/digest';
import { buildLayersConcurrently, storePathsTar, writeLayer } from '../src/index.js';

const sizeMb = Number(process.argv[2] ?? 200);
const MB = 1024 * 1024;

/** Text-like bytes (gzip shrinks them ~3x, like binaries and docs do), generated as a stream. */
function generatedContent(bytes: number, seed: number): Readable {
  const words = ['nix', 'store', 'layer', 'lib', 'share', 'bin', 'zlib', 'sha256', '\n', 'x86_64', '0x7f'];
  let state = seed;
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= bytes) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(MB, bytes - produced));
      let offset = 0;
      while (offset < chunk.length) {
        // xorshift32: cheap, deterministic, and random enough that gzip cannot cheat.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        const word = (state >>> 24) % 3 === 0 ? state.toString(36) : words[(state >>> 16) % words.length]!;
        offset += chunk.write(`${word} `, offset);
      }
      produced += chunk.length;
      this.push(chunk);
    },
  });
}

async function makeStorePath(store: string, name: string, bytes: number, seed: number): Promise<string> {
  const dir = path.join(store, name);
  await mkdir(dir, { recursive: true });
  await pipeline(generatedContent(bytes, seed), createWriteStream(path.join(dir, 'blob')));
  return dir;
}

async function measure<T>(label: string, bytes: number, run: () => Promise<T>): Promise<T> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  const result = await run();
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    `${label.padEnd(34)} ${(bytes / MB / seconds).toFixed(1).padStart(7)} MB/s  ${seconds.toFixed(2)} s  ` +
      `RSS ${(before / MB).toFixed(0)} → peak ${(peak / MB).toFixed(0)} MB (+${((peak - before) / MB).toFixed(0)})`,
  );
  return result;
}

const root = await mkdtemp(path.join(tmpdir(), 'pack-large-'));
try {
  const store = path.join(root, 'store');
  const big = await makeStorePath(store, `${'a'.repeat(32)}-big`, sizeMb * MB, 1);
  const halfA = await makeStorePath(store, `${'b'.repeat(32)}-half-a`, (sizeMb / 2) * MB, 2);
  const halfB = await makeStorePath(store, `${'c'.repeat(32)}-half-b`, (sizeMb / 2) * MB, 3);
  console.log(`node ${process.version}, ${availableParallelism()} CPUs, ${sizeMb} MB of generated data`);

  await measure('tar only', sizeMb * MB, () => digestOfStream(storePathsTar([big], { storeDir: store })));
  const layer = await measure('tar+sha256+gzip (one layer)', sizeMb * MB, () =>
    writeLayer({ kind: 'store-paths', paths: [big] }, digestOfStream, { storeDir: store }),
  );
  console.log(`  gzip ratio ${(layer.size / (sizeMb * MB)).toFixed(2)}`);
  await measure('tar+sha256+gzip level 1', sizeMb * MB, () =>
    writeLayer({ kind: 'store-paths', paths: [big] }, digestOfStream, {
      storeDir: store,
      compressionLevel: 1,
    }),
  );
  const jobs = [halfA, halfB].map(
    (p) => () => writeLayer({ kind: 'store-paths', paths: [p] }, digestOfStream, { storeDir: store }),
  );
  await measure('two layers, one after the other', sizeMb * MB, () => buildLayersConcurrently(jobs, 1));
  await measure('two layers, concurrently', sizeMb * MB, () => buildLayersConcurrently(jobs, 2));
} finally {
  await rm(root, { recursive: true, force: true });
}
