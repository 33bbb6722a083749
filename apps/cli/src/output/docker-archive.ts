import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { assertSummary, DigestStream, digestHex, sha256Digest } from '@nixery/digest';
import tar from 'tar-stream';
import { type BlobReader, type ExportableImage, readSmallBlob } from './blobs.js';

/** Entries are dated like layer entries: fixed, so equal images give equal archives. */
const FIXED_MTIME = new Date(1000);

/**
 * Writes a `docker load` / `podman load` tarball: `manifest.json`
 * (`[{Config, RepoTags, Layers}]`), the config as `<hex>.json` and each layer's gzip blob as
 * `<hex>.tar.gz` (loaders detect the compression). Layers are streamed from the reader into the
 * tar one after another and checked against their digests; the file appears only when complete.
 */
export async function writeDockerArchive(
  file: string,
  reference: string,
  image: ExportableImage,
  reader: BlobReader,
): Promise<void> {
  const configName = `${digestHex(image.config.digest)}.json`;
  const layerNames = image.layers.map((layer) => `${digestHex(layer.digest)}.tar.gz`);
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [reference], Layers: layerNames }]);

  const pack = tar.pack();
  const temporary = `${file}.${process.pid}.partial`;
  const written = pipeline(pack, createWriteStream(temporary));
  try {
    const config = await readSmallBlob(reader, image.config.digest);
    if (sha256Digest(config) !== image.config.digest) {
      throw new Error(`image config ${image.config.digest} read back with other bytes`);
    }
    await addEntry(pack, 'manifest.json', Buffer.from(manifest));
    await addEntry(pack, configName, config);
    const seen = new Set<string>();
    for (const layer of image.layers) {
      if (seen.has(layer.digest)) continue;
      seen.add(layer.digest);
      await addStreamedEntry(pack, `${digestHex(layer.digest)}.tar.gz`, layer, reader);
    }
    pack.finalize();
    await written;
    await rename(temporary, file);
  } catch (error) {
    pack.destroy();
    await written.catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
}

function addEntry(pack: tar.Pack, name: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header(name, bytes.length), bytes, (error) => (error ? reject(error) : resolve()));
  });
}

async function addStreamedEntry(
  pack: tar.Pack,
  name: string,
  blob: { digest: string; size: number },
  reader: BlobReader,
): Promise<void> {
  const digest = new DigestStream();
  let entryDone!: Promise<void>;
  const sink = (() => {
    let sinkStream!: ReturnType<tar.Pack['entry']>;
    entryDone = new Promise((resolve, reject) => {
      sinkStream = pack.entry(header(name, blob.size), (error) => (error ? reject(error) : resolve()));
    });
    return sinkStream;
  })();
  await pipeline(await reader.readBlob(blob.digest), digest, sink);
  await entryDone;
  // A damaged cache must not be exported.
  assertSummary(digest.summary(), blob);
}

function header(name: string, size: number): Parameters<tar.Pack['entry']>[0] {
  return { name, size, mode: 0o444, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' };
}
