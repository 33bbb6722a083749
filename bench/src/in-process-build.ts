import type { BuildTimings } from '@nixery/builder';
import { ImageBuilder, type ImageRecord } from '@nixery/builder';
import { FilesystemStorage } from '@nixery/storage';
import { settleDisk } from './processes.js';

/**
 * Builds one image with the builder in this process, into its own storage folder, and returns
 * the builder's own stage timings. Used where the figure is a build, not an HTTP exchange. The
 * bench runs without the `source` export condition, so this is the compiled builder (dist/), as
 * the server runs it: through tsx the same builds took 35–40 % longer.
 */
export async function buildInProcess(options: {
  pkgsPath: string;
  storagePath: string;
  image: string;
  layerConcurrency?: number;
  gzipLevel?: number;
  /** Store paths read into the page cache before the build (see settleDisk). */
  warmPaths?: readonly string[];
}): Promise<{ record: ImageRecord; timings: BuildTimings; wallMs: number }> {
  let timings: BuildTimings | null = null;
  const builder = new ImageBuilder({
    storage: new FilesystemStorage(options.storagePath),
    source: { kind: 'path', path: options.pkgsPath },
    nixSubstituters: '',
    nixTimeoutSeconds: 900,
    ...(options.layerConcurrency !== undefined ? { layerConcurrency: options.layerConcurrency } : {}),
    ...(options.gzipLevel !== undefined ? { gzipLevel: options.gzipLevel } : {}),
    onEvent: (event) => {
      if (event.type === 'build-end') timings = event.timings;
    },
  });
  await settleDisk(options.warmPaths);
  const started = performance.now();
  const record = await builder.getImage(options.image, 'latest');
  const wallMs = performance.now() - started;
  if (timings === null) throw new Error(`building ${options.image} reported no timings`);
  return { record, timings, wallMs };
}
